/*
 * imap:// and imaps:// URLs naming a server and, optionally, a user; and
 * pop3:// and pop3s:// (RFC 2384's scheme, its server part) the same way.
 *
 * RFC 5092 3	the imap URL scheme (only its iserver part)
 * RFC 3986 3.2	authority, userinfo, host, port; 2.1 percent-encoding
 * RFC 8314 7	the imaps scheme and port 993, pop3s and port 995
 * RFC 2384	the pop scheme (pop3:// here: the scheme people type)
 *
 * The authority is split at its last "@", because user names that are
 * mail addresses are common and people type them unencoded.  A password
 * ("user:pass@") is refused rather than ignored: it would sit in the
 * process list and the shell history.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/url.h>

#include "strparse.h"

static const char *
url_scheme(const char *text, size_t len, enum mailfs_security *sec_r,
    const char **def_port_r, size_t *skip_r, int *pop3_r)
{
	static const struct {
		const char *prefix;
		enum mailfs_security sec;
		const char *port;
		int pop3;
	} schemes[] = {
		{ "imaps://", MAILFS_SEC_IMPLICIT_TLS, "993", 0 },
		{ "imap://", MAILFS_SEC_STARTTLS, "143", 0 },
		{ "pop3s://", MAILFS_SEC_IMPLICIT_TLS, "995", 1 },
		{ "pop3://", MAILFS_SEC_STARTTLS, "110", 1 },
	};
	size_t i, n;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i].prefix);
		if (len >= n && str_eq_ci(text, n, schemes[i].prefix)) {
			*sec_r = schemes[i].sec;
			*def_port_r = schemes[i].port;
			*skip_r = n;
			*pop3_r = schemes[i].pop3;
			return NULL;
		}
	}
	return "The URL must start with imaps://, imap://, pop3s:// or pop3://.";
}

/* 1 when c is one of the characters of set; NUL never is. */
static int
in_set(int c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static int
is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/*
 * Percent-decodes the user name s[0..len) into a new string.  Returns NULL
 * and sets *why_r (errno EINVAL) or returns NULL with errno ENOMEM.
 */
static char *
url_user(const char *s, size_t len, const char **why_r)
{
	char *out, *o;
	size_t i;
	int hi, lo;
	unsigned char c;

	*why_r = NULL;
	if (len == 0) {
		*why_r = "The user name before the \"@\" in the URL is empty.";
		goto inval;
	}
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	o = out;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == ':') {
			*why_r = "The URL contains a password; leave it out, "
			    "a password must never be given on a command line.";
			goto fail;
		}
		if (c == ';') {
			*why_r = "The URL's user name has a \";\" parameter "
			    "such as \";AUTH=\", which is not supported.";
			goto fail;
		}
		/* RFC 3986 userinfo, plus "@" as the split is at the last one. */
		if (!is_alnum(c) && !in_set(c, "-._~!$&'()*+,=@%")) {
			*why_r = "The URL's user name has a character that "
			    "must be percent-encoded.";
			goto fail;
		}
		if (c == '%') {
			if (len - i < 3 || (hi = str_hex_digit((unsigned char)s[i + 1])) == -1 ||
			    (lo = str_hex_digit((unsigned char)s[i + 2])) == -1) {
				*why_r = "A \"%\" in the URL is not followed "
				    "by two hexadecimal digits.";
				goto fail;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
			if (c == 0) {
				*why_r = "The URL's user name contains a NUL "
				    "character (%00).";
				goto fail;
			}
			if (c < 0x20 || c == 0x7f) {
				*why_r = "The URL's user name contains a "
				    "control character.";
				goto fail;
			}
		}
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
fail:
	free(out);
inval:
	errno = EINVAL;
	return NULL;
}

/*
 * Checks HOST[:PORT] at s[0..len) and sets the host's bounds (without
 * brackets) and the port's (len 0 when absent).  Returns NULL or why not.
 */
static const char *
url_hostport(const char *s, size_t len, size_t *host_off_r, size_t *host_len_r,
    const char **port_r, size_t *port_len_r)
{
	struct in6_addr a6;
	char tmp[INET6_ADDRSTRLEN];
	const char *end, *colon;
	size_t i;

	end = s + len;
	if (len > 0 && s[0] == '[') {
		colon = memchr(s, ']', len);
		if (colon == NULL)
			return "The IPv6 address in the URL lacks its \"]\".";
		*host_off_r = 1;
		*host_len_r = (size_t)(colon - s) - 1;
		if (*host_len_r == 0 || *host_len_r >= sizeof(tmp))
			return "The IPv6 address in the URL is not valid.";
		memcpy(tmp, s + 1, *host_len_r);
		tmp[*host_len_r] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return "The IPv6 address in the URL is not valid.";
		colon++;
		if (colon != end && *colon != ':')
			return "The IPv6 address in the URL is followed by "
			    "something other than a port.";
	} else {
		colon = memchr(s, ':', len);
		if (colon == NULL)
			colon = end;
		*host_off_r = 0;
		*host_len_r = (size_t)(colon - s);
		for (i = 0; i < *host_len_r; i++) {
			if (!is_alnum(s[i]) && !in_set(s[i], "-._"))
				return "The host name in the URL may hold only "
				    "letters, digits, \"-\", \".\" and \"_\".";
		}
	}
	if (*host_len_r == 0)
		return "The URL has no host name.";
	*port_r = colon == end ? end : colon + 1;
	*port_len_r = colon == end ? 0 : (size_t)(end - colon - 1);
	if (colon != end && *port_len_r == 0)
		return "The URL has a \":\" but no port after it.";
	return NULL;
}

int
mailfs_url_parse(const char *text, struct mailfs_url *url_r, const char **why_r)
{
	struct mailfs_url url = { MAILFS_SEC_IMPLICIT_TLS, NULL, NULL, NULL, 0 };
	const char *why, *def_port, *auth, *at, *port;
	size_t len, i, skip, auth_len, host_off, host_len, port_len;
	uint32_t portnum;
	char portbuf[16];

	len = strlen(text);
	for (i = 0; i < len; i++) {
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
			why = "The URL contains a control character.";
			goto inval;
		}
	}
	if ((why = url_scheme(text, len, &url.security, &def_port, &skip, &url.pop3)))
		goto inval;
	auth = text + skip;
	auth_len = strcspn(auth, "/");
	if (auth[auth_len] != '\0' && strcmp(auth + auth_len, "/") != 0) {
		why = "The URL has a path; only \"/\" may follow the server.";
		goto inval;
	}
	/* The last "@", so that user names may be unencoded addresses. */
	at = NULL;
	for (i = auth_len; i > 0; i--) {
		if (auth[i - 1] == '@') {
			at = auth + i - 1;
			break;
		}
	}
	if (at != NULL) {
		if ((url.user = url_user(auth, (size_t)(at - auth), &why))
		    == NULL) {
			if (why != NULL)
				goto inval;
			errno = ENOMEM;
			return -1;
		}
		auth_len -= (size_t)(at - auth) + 1;
		auth = at + 1;
	}
	if ((why = url_hostport(auth, auth_len, &host_off, &host_len,
	    &port, &port_len)) != NULL)
		goto inval;
	if (port_len == 0)
		snprintf(portbuf, sizeof(portbuf), "%s", def_port);
	else {
		if (str_to_u32(port, port_len, 65535, &portnum) == -1 ||
		    portnum == 0) {
			why = "The port in the URL must be a number from 1 "
			    "to 65535.";
			goto inval;
		}
		snprintf(portbuf, sizeof(portbuf), "%u", (unsigned)portnum);
	}
	if ((url.host = strndup(auth + host_off, host_len)) == NULL ||
	    (url.port = strdup(portbuf)) == NULL) {
		mailfs_url_clear(&url);
		errno = ENOMEM;
		return -1;
	}
	*url_r = url;
	return 0;
inval:
	mailfs_url_clear(&url);
	if (why_r != NULL)
		*why_r = why;
	errno = EINVAL;
	return -1;
}

void
mailfs_url_clear(struct mailfs_url *url)
{
	free(url->user);
	free(url->host);
	free(url->port);
	memset(url, 0, sizeof(*url));
}
