-- Workload 1's baseline: the two INSERTs of a form submission (store.CreateRequest)
-- in one transaction, with the same columns and similar values. :uid is set with
-- pgbench -D uid=N; the token is unique per row, as the portal's.
BEGIN;
INSERT INTO requests (requester_id, token, instance_name, instance_class, region_id, zone_id, charge_type, period, network_type, vpc_id, vswitch_id, private_ip, src_db_instance_id, backup_id, instance_type, engine_version, password_sealed, password_set) VALUES (:uid, gen_random_uuid()::text, 'orders-cache', 'redis.master.small.default', 'cn-hangzhou', 'cn-hangzhou-b', 'PostPaid', 0, 'Classic', '', '', '', '', '', 'Redis', '4.0', '\x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a', true) RETURNING id \gset
INSERT INTO audit_events (actor_id, action, request_id, details) VALUES (:uid, 'request.submitted', :id, '{"ChargeType": "PostPaid", "EngineVersion": "4.0", "InstanceClass": "redis.master.small.default", "InstanceName": "orders-cache", "InstanceType": "Redis", "NetworkType": "Classic", "RegionId": "cn-hangzhou", "Token": "0b6f3a0c9d2e4f718293a4b5c6d7e8f9", "ZoneId": "cn-hangzhou-b"}');
END;
