#!/bin/sh
# mkcert.sh DIR: makes a throw-away CA (DIR/ca.pem) and a server
# certificate signed by it (DIR/server.pem, DIR/server.key) for the test
# servers.  The server certificate names only IP:127.0.0.1, so that a
# client that connects to "localhost" must fail the host name check.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mailfs test CA" \
	-keyout ca.key -out ca.pem >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	-keyout server.key -out server.csr >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-days 2 -extfile server.ext -out server.pem >/dev/null 2>&1
chmod 600 ca.key server.key
rm -f server.csr server.ext ca.srl
