#!/bin/sh
# A two-container web app on one user network:
#   - "web" serves /www with busybox httpd, published on 127.0.0.1:$PORT;
#   - a second container reaches it by name (aardvark-dns), the host through
#     the published port.
# IMAGE must hold busybox (httpd, wget) and a /www/index.html.
# Run as root. The test suite runs this script (tests/tests/network.rs).
set -eu

RPOD=${RPOD:-rpod}
IMAGE=${IMAGE:-localhost/web}
NET=${NET:-webapp}
SUBNET=${SUBNET:-10.90.90.0/24}
PORT=${PORT:-8080}

cleanup() {
    $RPOD rm -f -t 0 web >/dev/null 2>&1 || true
    $RPOD network rm -f "$NET" >/dev/null 2>&1 || true
}
trap cleanup EXIT

$RPOD network create --subnet "$SUBNET" "$NET" >/dev/null
$RPOD run -d --name web --network "$NET" -p "127.0.0.1:$PORT:80" "$IMAGE" \
    httpd -f -p 80 -h /www >/dev/null

# From a second container, by name.
echo "by name: $($RPOD run --rm --network "$NET" "$IMAGE" wget -q -O - http://web/)"

# From the host, through the published port (the server may still be starting).
tries=0
until body=$(curl -sf "http://127.0.0.1:$PORT/"); do
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || { echo "no answer on port $PORT" >&2; exit 1; }
    sleep 0.1
done
echo "from the host: $body"
