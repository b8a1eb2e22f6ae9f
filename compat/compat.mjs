// Compatibility check: the current official Node SDK for R-KVStore, which
// signs with signature version 3, against `portal sim`. Run by `make compat`
// (compat/run.sh), which installs the SDK and starts the simulator; it exits
// non-zero at the first answer that is not what the real API would give.
//
// Environment: COMPAT_ENDPOINT (host:port of the simulator),
// COMPAT_ACCESS_KEY_ID, COMPAT_ACCESS_KEY_SECRET.
import KVStore, * as $kvstore from '@alicloud/r-kvstore20150101';
import * as $openapi from '@alicloud/openapi-client';

const Client = KVStore.default ?? KVStore;
const client = new Client(new $openapi.Config({
  accessKeyId: process.env.COMPAT_ACCESS_KEY_ID,
  accessKeySecret: process.env.COMPAT_ACCESS_KEY_SECRET,
  endpoint: process.env.COMPAT_ENDPOINT,
  protocol: 'http',
  regionId: 'cn-hangzhou',
}));

let failures = 0;
function check(what, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${detail}`);
  if (!ok) failures++;
}

// refusal runs call, which must fail with the API's error; it returns the
// error's code.
async function refusal(call) {
  try {
    await call();
  } catch (err) {
    return err.code ?? String(err);
  }
  return '(accepted)';
}

const token = `compat-${Date.now()}`;
const create = (overrides = {}) => new $kvstore.CreateInstanceRequest({
  regionId: 'cn-hangzhou',
  instanceClass: 'redis.master.small.default',
  password: 'Qa123456',
  instanceName: 'compat-cache',
  token,
  tag: [
    new $kvstore.CreateInstanceRequestTag({ key: 'kvportal:request', value: '1' }),
    new $kvstore.CreateInstanceRequestTag({ key: 'kvportal:team', value: 'compat team' }),
  ],
  ...overrides,
});

try {
  const regions = (await client.describeRegions(new $kvstore.DescribeRegionsRequest({}))).body.regionIds.KVStoreRegion;
  check('DescribeRegions', regions.some((r) => r.regionId === 'cn-hangzhou'), `${regions.length} regions: ${regions.map((r) => r.regionId).join(', ')}`);

  const dryRun = await refusal(() => client.createInstance(create({ dryRun: true })));
  check('CreateInstance DryRun', dryRun === 'DryRunOperation', `error code ${dryRun}`);

  const made = (await client.createInstance(create())).body;
  check('CreateInstance', /^r-/.test(made.instanceId ?? ''), `${made.instanceId} "${made.instanceName}" ${made.instanceStatus} in ${made.zoneId}`);

  const again = (await client.createInstance(create())).body;
  check('CreateInstance, the same Token again', again.instanceId === made.instanceId, `${again.instanceId} (first call: ${made.instanceId})`);

  const refused = await refusal(() => client.createInstance(create({ token: `${token}-bad-name`, instanceName: '9 lives' })));
  check('CreateInstance with an InstanceName the rules refuse', refused === 'InvalidParameter', `error code ${refused}`);

  const attrs = (await client.describeInstanceAttribute(new $kvstore.DescribeInstanceAttributeRequest({ instanceId: made.instanceId }))).body.instances.DBInstanceAttribute;
  const attr = attrs?.[0] ?? {};
  const tags = (attr.tags?.tag ?? []).map((t) => `${t.key}=${t.value}`).join(', ');
  check('DescribeInstanceAttribute',
    attr.instanceId === made.instanceId && attr.instanceName === 'compat-cache' && attr.connectionDomain && attr.port > 0 && tags.includes('kvportal:team=compat team'),
    `${attr.instanceId} "${attr.instanceName}" ${attr.instanceStatus} ${attr.instanceClass} at ${attr.connectionDomain}:${attr.port}; tags ${tags}`);

  const listed = (await client.describeInstances(new $kvstore.DescribeInstancesRequest({
    regionId: 'cn-hangzhou',
    pageSize: 50,
    tag: [new $kvstore.DescribeInstancesRequestTag({ key: 'kvportal:team', value: 'compat team' })],
  }))).body;
  const listedIds = (listed.instances?.KVStoreInstance ?? []).map((i) => i.instanceId);
  check('DescribeInstances by tag', listed.totalCount === 1 && listedIds[0] === made.instanceId, `${listed.totalCount} instance(s): ${listedIds.join(', ')}`);

  // The whitelist can be set once the instance is Normal (portal sim is
  // started with a creating delay of a couple of seconds).
  let status = attr.instanceStatus;
  for (let i = 0; i < 100 && status !== 'Normal'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = (await client.describeInstanceAttribute(new $kvstore.DescribeInstanceAttributeRequest({ instanceId: made.instanceId }))).body.instances.DBInstanceAttribute[0].instanceStatus;
  }
  check('the instance becomes Normal', status === 'Normal', status);

  await client.modifySecurityIps(new $kvstore.ModifySecurityIpsRequest({
    instanceId: made.instanceId, securityIpGroupName: 'kvportal', securityIps: '10.0.0.0/8,192.168.1.7', modifyMode: 'Cover',
  }));
  const groups = (await client.describeSecurityIps(new $kvstore.DescribeSecurityIpsRequest({ instanceId: made.instanceId }))).body.securityIpGroups?.securityIpGroup ?? [];
  const whitelist = groups.map((g) => `${g.securityIpGroupName}=${g.securityIpList}`).join('; ');
  check('ModifySecurityIps, then DescribeSecurityIps', whitelist === 'default=127.0.0.1; kvportal=10.0.0.0/8,192.168.1.7', whitelist);

  const badGroup = await refusal(() => client.modifySecurityIps(new $kvstore.ModifySecurityIpsRequest({
    instanceId: made.instanceId, securityIpGroupName: 'Bad-Name', securityIps: '10.0.0.1',
  })));
  check('ModifySecurityIps with a group name the rules refuse', badGroup === 'InvalidGroupName.Format', `error code ${badGroup}`);

  const spec = () => client.modifyInstanceSpec(new $kvstore.ModifyInstanceSpecRequest({
    instanceId: made.instanceId, instanceClass: 'redis.master.mid.default', orderType: 'UPGRADE', clientToken: `${token}-spec`,
  }));
  const order = (await spec()).body.orderId;
  const replayed = (await spec()).body.orderId;
  check('ModifyInstanceSpec, the same ClientToken again', order && replayed === order, `order ${order}, then ${replayed}`);

  const deleted = await refusal(() => client.deleteInstance(new $kvstore.DeleteInstanceRequest({ instanceId: 'r-0000000000000000' })));
  check('DeleteInstance of an unknown instance', deleted === 'InvalidInstanceId.NotFound', `error code ${deleted}`);
} catch (err) {
  check('call', false, `${err.code ?? ''} ${err.message}`);
}

if (failures > 0) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
console.log('the Node SDK works against portal sim');
// The SDK's idle keep-alive connections would hold the process for seconds.
process.exit(0);
