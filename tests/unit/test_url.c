/*
 * imap:// and imaps:// URLs: what they yield, and every form refused with
 * a reason.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <mailfs/url.h>

#include "../tap.h"

static const struct {
	const char *text;
	enum mailfs_security sec;
	const char *user;	/* NULL: none */
	const char *host;
	const char *port;
} good[] = {
	{ "imaps://imap.example.com", MAILFS_SEC_IMPLICIT_TLS, NULL,
	  "imap.example.com", "993" },
	{ "imaps://imap.example.com/", MAILFS_SEC_IMPLICIT_TLS, NULL,
	  "imap.example.com", "993" },
	{ "imap://imap.example.com", MAILFS_SEC_STARTTLS, NULL,
	  "imap.example.com", "143" },
	{ "IMAPS://Host", MAILFS_SEC_IMPLICIT_TLS, NULL, "Host", "993" },
	{ "Imap://h:1", MAILFS_SEC_STARTTLS, NULL, "h", "1" },
	{ "imaps://alice@example.org", MAILFS_SEC_IMPLICIT_TLS, "alice",
	  "example.org", "993" },
	{ "imaps://alice@example.com@imap.example.com",
	  MAILFS_SEC_IMPLICIT_TLS, "alice@example.com", "imap.example.com",
	  "993" },
	{ "imaps://alice%40example.com@imap.example.com:10993/",
	  MAILFS_SEC_IMPLICIT_TLS, "alice@example.com", "imap.example.com",
	  "10993" },
	{ "imap://a%20b%2Fc%3a%3bd@h", MAILFS_SEC_STARTTLS, "a b/c:;d", "h",
	  "143" },
	{ "imaps://j%C3%BCrgen@h", MAILFS_SEC_IMPLICIT_TLS,
	  "j\xc3\xbcrgen", "h", "993" },
	{ "imaps://a.b-c_d~e!$&'()*+,=@h", MAILFS_SEC_IMPLICIT_TLS,
	  "a.b-c_d~e!$&'()*+,=", "h", "993" },
	{ "imaps://u@[::1]:993", MAILFS_SEC_IMPLICIT_TLS, "u", "::1", "993" },
	{ "imaps://[::1]", MAILFS_SEC_IMPLICIT_TLS, NULL, "::1", "993" },
	{ "imap://[2001:db8::7]:65535/", MAILFS_SEC_STARTTLS, NULL,
	  "2001:db8::7", "65535" },
	{ "imaps://[::ffff:192.0.2.1]", MAILFS_SEC_IMPLICIT_TLS, NULL,
	  "::ffff:192.0.2.1", "993" },
	{ "imaps://127.0.0.1:10993", MAILFS_SEC_IMPLICIT_TLS, NULL,
	  "127.0.0.1", "10993" },
	{ "imaps://h:00143", MAILFS_SEC_IMPLICIT_TLS, NULL, "h", "143" },
	/* POP3 maildrops (url.pop3 checked below) */
	{ "pop3s://u@h", MAILFS_SEC_IMPLICIT_TLS, "u", "h", "995" },
	{ "pop3://u@h", MAILFS_SEC_STARTTLS, "u", "h", "110" },
	{ "POP3S://h:1995/", MAILFS_SEC_IMPLICIT_TLS, NULL, "h", "1995" },
};

static const struct {
	const char *text;
	const char *what;
} bad[] = {
	{ "", "empty" },
	{ "imaps:/h", "one slash" },
	{ "imaps:h", "no slashes" },
	{ "https://h", "another scheme" },
	{ "imapx://h", "an unknown scheme" },
	{ "pop://h", "pop (RFC 2384's own spelling)" },
	{ "imaps://", "no host" },
	{ "imaps:///", "no host, a slash" },
	{ "imaps://u@", "user, no host" },
	{ "imaps://u@/", "user, no host, a slash" },
	{ "imaps://:993", "port, no host" },
	{ "imaps://@h", "empty user" },
	{ "imaps://u:secret@h", "a password" },
	{ "imaps://u:@h", "an empty password" },
	{ "imaps://:secret@h", "a password, no user" },
	{ "imaps://u;AUTH=*@h", "an ;AUTH= parameter" },
	{ "imaps://h/INBOX", "a path" },
	{ "imaps://h//", "a path of two slashes" },
	{ "imaps://h/?x", "a query after the slash" },
	{ "imaps://h?x", "a query" },
	{ "imaps://h#x", "a fragment" },
	{ "imaps://h:", "an empty port" },
	{ "imaps://h:0", "port 0" },
	{ "imaps://h:65536", "port 65536" },
	{ "imaps://h:99999999999999999999", "a huge port" },
	{ "imaps://h:-1", "a negative port" },
	{ "imaps://h:+993", "a signed port" },
	{ "imaps://h: 993", "a space before the port" },
	{ "imaps://h:99a", "letters in the port" },
	{ "imaps://h:1:2", "two ports" },
	{ "imaps://h\t", "a TAB" },
	{ "imaps://u\r\n@h", "CR LF in the user" },
	{ "imaps://h\x7f", "DEL" },
	{ "imaps://u%00x@h", "a percent-encoded NUL" },
	{ "imaps://u%0ax@h", "a percent-encoded LF" },
	{ "imaps://u%7F@h", "a percent-encoded DEL" },
	{ "imaps://u%@h", "% at the end of the user" },
	{ "imaps://u%4@h", "% with one digit" },
	{ "imaps://u%zz@h", "% with non-hex" },
	{ "imaps://u%g0@h", "% with a non-hex first digit" },
	{ "imaps://u v@h", "a space in the user" },
	{ "imaps://j\xc3\xbcrgen@h", "raw UTF-8 in the user" },
	{ "imaps://h%41", "percent-encoding in the host" },
	{ "imaps://h h", "a space in the host" },
	{ "imaps://h\xc3\xa4", "raw UTF-8 in the host" },
	{ "imaps://[::1", "an unclosed bracket" },
	{ "imaps://[]", "empty brackets" },
	{ "imaps://[::1]x", "junk after the bracket" },
	{ "imaps://[::1]:", "an empty port after brackets" },
	{ "imaps://[zz::1]", "an invalid IPv6 address" },
	{ "imaps://[::1%25eth0]", "an IPv6 zone" },
	{ "imaps://[v1.x]", "IPvFuture" },
	{ "imaps://[127.0.0.1]", "IPv4 in brackets" },
	{ "imaps://::1", "IPv6 without brackets" },
};

static void
test_good(void)
{
	struct mailfs_url url;
	const char *why;
	size_t i;
	int r;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&url, 0xa5, sizeof(url));
		why = NULL;
		r = mailfs_url_parse(good[i].text, &url, &why);
		if (!ok(r == 0, "parses %s", good[i].text)) {
			diag("why: %s", why != NULL ? why : "(none)");
			continue;
		}
		ok(url.security == good[i].sec, "  its security");
		ok(good[i].user == NULL ? url.user == NULL :
		    url.user != NULL && strcmp(url.user, good[i].user) == 0,
		    "  its user");
		ok(strcmp(url.host, good[i].host) == 0, "  its host \"%s\"",
		    url.host);
		ok(strcmp(url.port, good[i].port) == 0, "  its port \"%s\"",
		    url.port);
		ok(url.pop3 == (strncasecmp(good[i].text, "pop3", 4) == 0),
		    "  POP3 or not");
		mailfs_url_clear(&url);
		ok(url.user == NULL && url.host == NULL && url.port == NULL,
		    "  clear zeroes it");
	}
}

/* A reason is one printable line that ends in a full stop. */
static int
plain_sentence(const char *why)
{
	size_t n;

	if (why == NULL || (n = strlen(why)) < 10 || why[n - 1] != '.')
		return 0;
	for (; *why != '\0'; why++)
		if ((unsigned char)*why < 0x20 || (unsigned char)*why > 0x7e)
			return 0;
	return 1;
}

static void
test_bad(void)
{
	struct mailfs_url url;
	const char *why;
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&url, 0xa5, sizeof(url));
		why = NULL;
		errno = 0;
		r = mailfs_url_parse(bad[i].text, &url, &why);
		ok(r == -1 && errno == EINVAL && plain_sentence(why),
		    "refuses %s: %s", bad[i].what, why != NULL ? why : "?");
		if (r == 0)
			mailfs_url_clear(&url);
	}
	ok(mailfs_url_parse("imaps://u:pw@h", &url, &why) == -1 &&
	    strstr(why, "password") != NULL && strstr(why, "pw") == NULL,
	    "the password reason names no part of the URL");
	errno = 0;
	ok(mailfs_url_parse("ftp://h", &url, NULL) == -1 && errno == EINVAL,
	    "why_r may be NULL");
}

int
main(void)
{
	test_good();
	test_bad();
	return done_testing();
}
