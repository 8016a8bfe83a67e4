# rev1.sh: the test Dovecot made an IMAP4rev1 server with IDLE and little
# else (sourced after tests/harness/lib.sh and tests/fuse/mount.sh).
#
#	rev1_proxy [CAPS]		starts tests/harness/capproxy.py in
#					front of the IMAPS port, withholding
#					CAPS (default REV1_WITHHOLD); sets
#					REV1_PORT
#	rev1_mount DIR [MAILFS OPTIONS]	mount_mailfs through it
#	rev1_cut_start			cut_start (cut.sh) with the cut proxy
#					in front of this one: client, cut
#					proxy, capproxy, Dovecot
#	visible CENSUS_FILE		the census lines of messages a mount
#					through the proxy lists: those without
#					\Deleted
#
# REV1_WITHHOLD in the environment changes the default (test_rev1.sh with
# REV1_WITHHOLD="MOVE UIDPLUS": CONDSTORE and NOTIFY but no UIDPLUS).  CUT_HOOK
# set to '. "$top_srcdir/tests/fuse/rev1.sh"; rev1_proxy; CUT_TARGET=$REV1_PORT'
# runs any test_cut_*.sh through the proxy.

REV1_WITHHOLD=${REV1_WITHHOLD:-"MOVE UIDPLUS CONDSTORE QRESYNC LIST-STATUS ESEARCH LITERAL+ SPECIAL-USE NOTIFY ENABLE BINARY"}

rev1_proxy()
{
	local caps=${1:-$REV1_WITHHOLD} pid
	rm -f "$MAILFS_TEST_TMP/capproxy.port"
	"$PYTHON" "$HARNESS_DIR/capproxy.py" --target "$IMAPS_PORT" \
	    --cert "$DOVECOT_DIR/server.pem" --key "$DOVECOT_DIR/server.key" \
	    --withhold "$caps" --port-file "$MAILFS_TEST_TMP/capproxy.port" \
	    --log "$MAILFS_TEST_TMP/capproxy.log" \
	    --lifetime "${MAILFS_TEST_TIMEOUT:-300}" &
	pid=$!
	at_exit "kill $pid 2>/dev/null"
	wait_for 15 test -s "$MAILFS_TEST_TMP/capproxy.port" ||
	    bail_out "capproxy.py did not start"
	REV1_PORT=$(cat "$MAILFS_TEST_TMP/capproxy.port")
}

rev1_mount()
{
	IMAPS_PORT=$REV1_PORT mount_mailfs "$@"
}

rev1_cut_start()
{
	CUT_HOOK='rev1_proxy; CUT_TARGET=$REV1_PORT' cut_start "$@"
}

visible()
{
	awk -F '\t' '$4 !~ /\\Deleted/' "$1"
}
