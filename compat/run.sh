#!/bin/sh
# make compat: the official Node SDK for R-KVStore against `portal sim`.
# Usage: compat/run.sh PORTAL_BINARY WORK_DIR
# Installs the SDK with npm into WORK_DIR (git-ignored) when it is not there
# yet, starts the simulator on a free loopback port, runs compat/compat.mjs
# and stops the simulator again.
set -eu
portal=$1
dir=$2
sdk_version=6.4.0

command -v node >/dev/null 2>&1 || { echo "compat: node is needed (Node.js 18 or later)"; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "compat: npm is needed"; exit 1; }
mkdir -p "$dir"
installed=$(node -p "require('./$dir/node_modules/@alicloud/r-kvstore20150101/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$sdk_version" ]; then
	echo "compat: installing @alicloud/r-kvstore20150101@$sdk_version and @alicloud/openapi-client into $dir"
	[ -f "$dir/package.json" ] || echo '{"private": true}' > "$dir/package.json"
	npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
		"@alicloud/r-kvstore20150101@$sdk_version" "@alicloud/openapi-client@^0.4"
fi
# Node resolves the packages from the script's own directory.
cp compat/compat.mjs "$dir/compat.mjs"

key_id=compat-key
key_secret=compat-secret
out=$(mktemp)
"$portal" sim --addr 127.0.0.1:0 --access-key-id $key_id --access-key-secret $key_secret --creating-delay 2s >"$out" 2>"$out.log" &
sim=$!
trap 'kill $sim 2>/dev/null || true; wait $sim 2>/dev/null || true; rm -f "$out" "$out.log"' EXIT INT TERM
endpoint=
for _ in $(seq 1 100); do
	endpoint=$(sed -n 's|^PORTAL_KVSTORE_ENDPOINT=http://||p' "$out")
	[ -n "$endpoint" ] && break
	kill -0 $sim 2>/dev/null || { echo "compat: portal sim did not start:"; cat "$out.log"; exit 1; }
	sleep 0.1
done
[ -n "$endpoint" ] || { echo "compat: portal sim printed no endpoint"; exit 1; }
echo "compat: portal sim at $endpoint"

COMPAT_ENDPOINT=$endpoint COMPAT_ACCESS_KEY_ID=$key_id COMPAT_ACCESS_KEY_SECRET=$key_secret \
	node "$dir/compat.mjs"
