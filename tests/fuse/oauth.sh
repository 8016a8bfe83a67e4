# oauth.sh: what the OAuth2 tests share (sourced after mount.sh).
#
#	start_oauth2               starts oauth2server.py; sets K (its
#	                           directory: the tokens valid, long, expired,
#	                           and asked) and OAUTH2_URL
#	mount_token DIR LOG CMD [OPTIONS...]
#	                           mounts with -o oauth2_token_command=CMD,
#	                           traced (-d) into LOG; 0 when mounted; the
#	                           account is TOKEN_URL, else the test
#	                           Dovecot's IMAP over TLS
#	no_token_in FILE           0 when no token of K is in FILE
#	rotating_command           writes $K/rotate.sh, a token command whose
#	                           first run prints the expired token and
#	                           every later one the valid one; empties
#	                           $K/asked

start_oauth2()
{
	K=$MAILFS_TEST_TMP/oauth2
	mkdir -p "$K"
	"$PYTHON" "$HARNESS_DIR/oauth2server.py" "$K" mailfs 2>"$K/log" </dev/null &
	at_exit "kill $! 2>/dev/null"
	wait_for 15 test -s "$K/port" || bail_out "oauth2server.py did not start"
	OAUTH2_URL=http://127.0.0.1:$(cat "$K/port")/
}

mount_token()
{
	local dir=$1 log=$2 cmd=$3
	shift 3
	mkdir -p "$dir"
	register_mount "$dir"
	XDG_CACHE_HOME=$MAILFS_TEST_TMP/cache "$MAILFS" -d \
	    -o "oauth2_token_command=$cmd,tls_ca_file=$TEST_CA,refresh=1,timeout=10" \
	    "$@" "${TOKEN_URL:-imaps://$TEST_USER@$IMAP_HOST:$IMAPS_PORT}" "$dir" 2>"$log" &
	mailfs_pid=$!
	at_exit "kill $mailfs_pid 2>/dev/null"
	daemon_log "$log" "$mailfs_pid"
	wait_for 30 sh -c "mountpoint -q '$dir' || ! kill -0 $mailfs_pid 2>/dev/null"
	mountpoint -q "$dir"
}

no_token_in()
{
	! grep -qF -e "$(cat "$K/valid")" -e "$(cat "$K/expired")" \
	    -e "$(head -c 200 "$K/long")" "$1"
}

rotating_command()
{
	cat >"$K/rotate.sh" <<SH
#!/bin/sh
if [ -e "$K/rotated" ]; then cat "$K/valid"; else : >"$K/rotated"; cat "$K/expired"; fi
SH
	chmod +x "$K/rotate.sh"
	rm -f "$K/rotated"
	: >"$K/asked"
}
