#!/bin/sh
# mkcert.sh DIR: makes a throw-away CA (DIR/ca.pem) and a server
# certificate signed by it (DIR/server.pem, DIR/server.key) for the test
# servers.  The server certificate names only IP:127.0.0.1, so that a
# client that connects to "localhost" must fail the host name check.
# P-256 keys: quick to make, so every test server gets fresh ones.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
newkey="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $newkey -days 2 -subj "/CN=mailfs test CA" \
	-keyout ca.key -out ca.pem >/dev/null 2>&1
openssl req $newkey -subj "/CN=127.0.0.1" \
	-keyout server.key -out server.csr >/dev/null 2>&1
printf '%s\n' 'subjectAltName=IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
	'keyUsage=digitalSignature' 'extendedKeyUsage=serverAuth' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-days 2 -extfile server.ext -out server.pem >/dev/null 2>&1
chmod 600 ca.key server.key
rm -f server.csr server.ext ca.srl
