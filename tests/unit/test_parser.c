/*
 * Unit tests for lib/imap/parser.c: every valid sample is parsed whole, one
 * byte at a time and split at every point, and must give the same tree;
 * malformed and hostile input must give ERROR (or MORE when merely
 * truncated), never a crash, a leak or an overread (run under ASan and
 * valgrind).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "buf.h"
#include "parser.h"

#define DUMP_MAX	(1024 * 1024)

static void
dump_bytes(struct buf *b, const char *s, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			buf_printf(b, "\\x%02x", c);
		else
			buf_append(b, &s[i], 1);
	}
}

static void
dump_args(struct buf *b, const struct imap_arg *args, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_append_str(b, " ");
		switch (args[i].type) {
		case IMAP_ARG_ATOM:
			buf_append_str(b, "a:");
			dump_bytes(b, args[i].str, args[i].len);
			break;
		case IMAP_ARG_STRING:
			buf_append_str(b, "s:\"");
			dump_bytes(b, args[i].str, args[i].len);
			buf_append_str(b, "\"");
			break;
		case IMAP_ARG_LITERAL:
			buf_append_str(b, "l:\"");
			dump_bytes(b, args[i].str, args[i].len);
			buf_append_str(b, "\"");
			if (args[i].str[args[i].len] != '\0' ||
			    args[i].literal_size != args[i].len)
				buf_append_str(b, "!BAD");
			break;
		case IMAP_ARG_LITERAL_STREAMED:
			buf_printf(b, "S:%llu",
			    (unsigned long long)args[i].literal_size);
			break;
		case IMAP_ARG_NIL:
			buf_append_str(b, "NIL");
			break;
		case IMAP_ARG_LIST:
			buf_append_str(b, "(");
			dump_args(b, args[i].list, args[i].len);
			buf_append_str(b, ")");
			break;
		}
		if (args[i].type != IMAP_ARG_LIST &&
		    args[i].type != IMAP_ARG_LITERAL_STREAMED &&
		    args[i].str[args[i].len] != '\0')
			buf_append_str(b, "!NOTNUL");
	}
}

static const char *const status_names[] = {
	"", " OK", " NO", " BAD", " BYE", " PREAUTH"
};

/* One line that says everything about a response, for comparison. */
static void
dump_resp(struct buf *b, const struct imap_response *r)
{
	if (r->kind == IMAP_RESP_TAGGED)
		buf_printf(b, "T:%s", r->tag);
	else
		buf_append_str(b, r->kind == IMAP_RESP_UNTAGGED ? "U" : "C");
	buf_append_str(b, status_names[r->status]);
	if (r->code != NULL) {
		buf_printf(b, " [%s|", r->code);
		dump_bytes(b, r->code_args, strlen(r->code_args));
		buf_append_str(b, "]");
	} else if (r->code_args != NULL)
		buf_append_str(b, " !CODEARGS");
	if (r->text != NULL) {
		buf_append_str(b, " t:");
		dump_bytes(b, r->text, strlen(r->text));
	}
	if (r->nargs > 0) {
		buf_append_str(b, " ");
		dump_args(b, r->args, r->nargs);
	}
}

/* Streaming: BODY[...] and BINARY[...] literals go to the data hook. */
struct stream {
	int enabled;
	int hooks;		/* literal hook calls */
	int bad;		/* an inconsistency seen */
	uint64_t expect_off;
	uint64_t total;
	struct buf data;
};

static int
stream_hook(void *ctx, const struct imap_response *resp,
    const struct imap_arg *list, size_t count, unsigned depth, uint64_t size)
{
	struct stream *s = ctx;

	s->hooks++;
	if (!s->enabled || depth != 1 || count == 0 ||
	    resp->kind != IMAP_RESP_UNTAGGED || resp->nargs != 2 ||
	    !imap_arg_atom_is(&resp->args[1], "FETCH") ||
	    list[count - 1].type != IMAP_ARG_ATOM ||
	    (strncmp(list[count - 1].str, "BODY[", 5) != 0 &&
	    strncmp(list[count - 1].str, "BINARY[", 7) != 0))
		return 0;
	s->expect_off = 0;
	s->total = size;
	buf_printf(&s->data, "<%llu>", (unsigned long long)size);
	return 1;
}

static void
stream_data(void *ctx, uint64_t offset, uint64_t total, const char *data,
    size_t len)
{
	struct stream *s = ctx;

	if (offset != s->expect_off || total != s->total ||
	    offset + len > total || (len == 0 && total != 0))
		s->bad = 1;
	s->expect_off += len;
	dump_bytes(&s->data, data, len);
}

/*
 * Parses input fed in chunks: split == 0 whole, split == SIZE_MAX one byte
 * at a time, else two chunks cut at split.  Returns the result; *dump_r
 * gets the response or the error, *consumed_r how much was used.
 */
static enum imap_parse_result
parse_split(const char *in, size_t len, const struct imap_parser_limits *lim,
    struct stream *st, size_t split, struct buf *dump, size_t *consumed_r)
{
	struct imap_parser *p;
	enum imap_parse_result r = IMAP_PARSE_MORE;
	size_t pos = 0, n, c;

	p = imap_parser_new(lim);
	if (p == NULL)
		bail_out("out of memory");
	if (st != NULL) {
		st->hooks = 0;
		imap_parser_set_literal_hooks(p, stream_hook, stream_data, st);
	}
	buf_reset(dump);
	while (pos < len) {
		if (split == SIZE_MAX)
			n = 1;
		else if (split > 0 && pos < split)
			n = split - pos;
		else
			n = len - pos;
		c = (size_t)-1;
		r = imap_parser_feed(p, in + pos, n, &c);
		if (c > n || (r == IMAP_PARSE_MORE && c != n)) {
			buf_append_str(dump, "!CONSUMED");
			break;
		}
		pos += c;
		if (r != IMAP_PARSE_MORE)
			break;
	}
	if (r == IMAP_PARSE_DONE) {
		dump_resp(dump, imap_parser_response(p));
		if (imap_parser_error(p)[0] != '\0')
			buf_append_str(dump, "!ERRSET");
	} else if (r == IMAP_PARSE_ERROR) {
		buf_printf(dump, "ERROR %s", imap_parser_error(p));
		/* refuses more input until reset */
		if (imap_parser_feed(p, "* 1 EXISTS\r\n", 12, &c) !=
		    IMAP_PARSE_ERROR || c != 0)
			buf_append_str(dump, "!NOTSTICKY");
		if (imap_parser_error(p)[0] == '\0' ||
		    strchr(imap_parser_error(p), '\n') != NULL)
			buf_append_str(dump, "!NOMSG");
		/* and recovers after one */
		imap_parser_reset(p);
		if (imap_parser_feed(p, "* 1 EXISTS\r\n", 12, &c) !=
		    IMAP_PARSE_DONE || c != 12)
			buf_append_str(dump, "!NORESET");
	} else if (imap_parser_response(p) != NULL)
		buf_append_str(dump, "!RESPONSE");
	*consumed_r = pos;
	imap_parser_free(&p);
	if (p != NULL)
		buf_append_str(dump, "!NOTNULL");
	return r;
}

static int
buf_same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static const char *
rname(enum imap_parse_result r)
{
	return r == IMAP_PARSE_DONE ? "DONE" :
	    r == IMAP_PARSE_MORE ? "MORE" : "ERROR";
}

/*
 * Parses whole, byte by byte and split at each point (with streams too
 * when st is given); all must agree.  Returns the result of the whole.
 */
static enum imap_parse_result
parse_all_ways(const char *name, const char *in, size_t len,
    const struct imap_parser_limits *lim, struct stream *st, int every_split,
    struct buf *whole, size_t *consumed_r)
{
	struct buf other, sdata;
	enum imap_parse_result r, r2;
	size_t i, split, c, c2;
	int same = 1;

	buf_init(&other, DUMP_MAX);
	buf_init(&sdata, DUMP_MAX);
	if (st != NULL)
		buf_reset(&st->data);
	r = parse_split(in, len, lim, st, 0, whole, &c);
	if (st != NULL) {
		buf_append(&sdata, st->data.data, st->data.len);
		if (st->bad)
			same = 0;
	}
	for (i = 1; i <= len && same; i++) {
		/* the last round is one byte at a time */
		split = i == len ? SIZE_MAX : i;
		if (!every_split && i > 1 && i < len)
			continue;
		if (st != NULL)
			buf_reset(&st->data);
		r2 = parse_split(in, len, lim, st, split, &other, &c2);
		if (r2 != r || c2 != c || !buf_same(&other, whole) ||
		    (st != NULL && (st->bad || !buf_same(&st->data, &sdata)))) {
			diag("%s: split at %zu gives %s %s, whole gives %s %s",
			    name, split, rname(r2), other.data, rname(r),
			    whole->data);
			same = 0;
		}
	}
	ok(same, "%s: same result however split", name);
	buf_free(&other);
	buf_free(&sdata);
	*consumed_r = c;
	return r;
}

struct sample {
	const char *in;
	size_t len;		/* 0: strlen */
	const char *want;
};

#define S(s)	s, sizeof(s) - 1

static const struct sample valid[] = {
	{ S("a1 OK [READ-WRITE] SELECT completed\r\n"),
	  "T:a1 OK [READ-WRITE|] t:SELECT completed" },
	{ S("a1 ok\r\n"), "T:a1 OK t:" },
	{ S("a1 OK\r\n"), "T:a1 OK t:" },
	{ S("a1 OK \r\n"), "T:a1 OK t:" },
	{ S("A001 bad  two  spaces \r\n"), "T:A001 BAD t: two  spaces " },
	{ S("a]1 No [TRYCREATE] No such mailbox\r\n"),
	  "T:a]1 NO [TRYCREATE|] t:No such mailbox" },
	{ S("a1 OK [APPENDUID 38505 3955] APPEND completed\r\n"),
	  "T:a1 OK [APPENDUID|38505 3955] t:APPEND completed" },
	{ S("a1 OK [COPYUID 38505  304,319:320 3956:3958  ] Done\r\n"),
	  "T:a1 OK [COPYUID|38505  304,319:320 3956:3958] t:Done" },
	{ S("* OK [READ-WRITE]\r\n"), "U OK [READ-WRITE|] t:" },
	{ S("* OK [UIDNEXT 4392]\r\n"), "U OK [UIDNEXT|4392] t:" },
	{ S("* OK [PERMANENTFLAGS (\\Seen \\*)] Limited\r\n"),
	  "U OK [PERMANENTFLAGS|(\\x5cSeen \\x5c*)] t:Limited" },
	{ S("* OK [BADCHARSET (\"a]b\" \"c\\\"]\")] x\r\n"),
	  "U OK [BADCHARSET|(\\x22a]b\\x22 \\x22c\\x5c\\x22]\\x22)] t:x" },
	{ S("* NO [REFERRAL imap://[::1]/INBOX] try there\r\n"),
	  "U NO [REFERRAL|imap://[::1]/INBOX] t:try there" },
	{ S("* OK\r\n"), "U OK t:" },
	{ S("* ok Dovecot ready.\r\n"), "U OK t:Dovecot ready." },
	{ S("* OK [ALERT]  two\r\n"), "U OK [ALERT|] t: two" },
	{ S("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR] Hi\r\n"),
	  "U OK [CAPABILITY|IMAP4rev1 LITERAL+ SASL-IR] t:Hi" },
	{ S("* OK caf\xc3\xa9 \x01\t ok\r\n"),
	  "U OK t:caf\\xc3\\xa9 \\x01\\x09 ok" },
	{ S("* BYE Logging out\r\n"), "U BYE t:Logging out" },
	{ S("* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n"),
	  "U PREAUTH [CAPABILITY|IMAP4rev1] t:hi" },
	{ S("* BAD [\r\n"), NULL },
	{ S("+ Ready for literal\r\n"), "C t:Ready for literal" },
	{ S("+\r\n"), "C t:" },
	{ S("+ \r\n"), "C t:" },
	{ S("+ [ALERT] (x\r\n"), "C t:[ALERT] (x" },
	{ S("+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=\r\n"),
	  "C t:YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=" },
	{ S("* 3 EXISTS\r\n"), "U a:3 a:EXISTS" },
	{ S("* 22 EXPUNGE\r\n"), "U a:22 a:EXPUNGE" },
	{ S("* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN LOGINDISABLED\r\n"),
	  "U a:CAPABILITY a:IMAP4rev1 a:STARTTLS a:AUTH=PLAIN a:LOGINDISABLED" },
	{ S("* LIST (\\HasNoChildren) \".\" INBOX\r\n"),
	  "U a:LIST (a:\\x5cHasNoChildren) s:\".\" a:INBOX" },
	{ S("* LIST (\\Noselect \\HasChildren) NIL \"\"\r\n"),
	  "U a:LIST (a:\\x5cNoselect a:\\x5cHasChildren) NIL s:\"\"" },
	{ S("* LIST () \"/\" \"Entw\xc3\xbc\x72" "fe\"\r\n"),
	  "U a:LIST () s:\"/\" s:\"Entw\\xc3\\xbcrfe\"" },
	{ S("* LIST () \"/\" [Gmail]/Sent\r\n"),
	  "U a:LIST () s:\"/\" a:[Gmail]/Sent" },
	{ S("* LIST () \".\" a[b\r\n"), "U a:LIST () s:\".\" a:a[b" },
	{ S("* LIST () \".\" x]y\r\n"), "U a:LIST () s:\".\" a:x]y" },
	{ S("* LIST () \".\" {4}\r\na\"\\b\r\n"),
	  "U a:LIST () s:\".\" l:\"a\\x22\\x5cb\"" },
	{ S("* STATUS a[b (MESSAGES 2)\r\n"),
	  "U a:STATUS a:a[b (a:MESSAGES a:2)" },
	{ S("* 12 FETCH (UID 5 FLAGS (\\Seen $Label1) RFC822.SIZE 1234 "
	    "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" MODSEQ (12) "
	    "BODY[] {5}\r\nab\0\r\n)\r\n"),
	  "U a:12 a:FETCH (a:UID a:5 a:FLAGS (a:\\x5cSeen a:$Label1) "
	  "a:RFC822.SIZE a:1234 a:INTERNALDATE s:\"17-Jul-1996 02:44:25 -0700\" "
	  "a:MODSEQ (a:12) a:BODY[] l:\"ab\\x00\\x0d\\x0a\")" },
	{ S("* 1 FETCH (BODY[HEADER.FIELDS (FROM TO)]<0> {3}\r\nabc UID 7)\r\n"),
	  "U a:1 a:FETCH (a:BODY[HEADER.FIELDS (FROM TO)]<0> l:\"abc\" "
	  "a:UID a:7)" },
	{ S("* 1 FETCH (body[header.fields (\"X-A]\" [B])] NIL)\r\n"),
	  "U a:1 a:FETCH (a:body[header.fields (\\x22X-A]\\x22 [B])] NIL)" },
	{ S("* 1 FETCH (BINARY[1] ~{3}\r\n\0\1\2 BINARY.SIZE[1] 3)\r\n"),
	  "U a:1 a:FETCH (a:BINARY[1] l:\"\\x00\\x01\\x02\" a:BINARY.SIZE[1] "
	  "a:3)" },
	{ S("* 1 FETCH (BODY[1] {3+}\r\nabc BODY[2] {0}\r\n)\r\n"),
	  "U a:1 a:FETCH (a:BODY[1] l:\"abc\" a:BODY[2] l:\"\")" },
	{ S("* 1 FETCH (UID 1 BODY[] NIL)\r\n"),
	  "U a:1 a:FETCH (a:UID a:1 a:BODY[] NIL)" },
	{ S("* 1 FETCH (FLAGS ())\r\n"), "U a:1 a:FETCH (a:FLAGS ())" },
	{ S("* 1 FETCH (ENVELOPE (NIL nil \"x\" Nil))\r\n"),
	  "U a:1 a:FETCH (a:ENVELOPE (NIL NIL s:\"x\" NIL))" },
	{ S("* 1 FETCH (X-GM-LABELS (\"\\\\Important\" foo) MODSEQ "
	    "(12345678901234))\r\n"),
	  "U a:1 a:FETCH (a:X-GM-LABELS (s:\"\\x5cImportant\" a:foo) a:MODSEQ "
	  "(a:12345678901234))" },
	{ S("* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" "
	    "\"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)(\"text\" "
	    "\"html\" NIL NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL) "
	    "\"alternative\" (\"boundary\" \"x\") NIL NIL NIL))\r\n"),
	  "U a:1 a:FETCH (a:BODYSTRUCTURE ((s:\"text\" s:\"plain\" "
	  "(s:\"charset\" s:\"us-ascii\") NIL NIL s:\"7bit\" a:3 a:1 NIL NIL "
	  "NIL NIL) (s:\"text\" s:\"html\" NIL NIL NIL s:\"7bit\" a:3 a:1 NIL "
	  "NIL NIL NIL) s:\"alternative\" (s:\"boundary\" s:\"x\") NIL NIL "
	  "NIL))" },
	{ S("* STATUS \"x\" (MESSAGES 2 UIDNEXT 5)\r\n"),
	  "U a:STATUS s:\"x\" (a:MESSAGES a:2 a:UIDNEXT a:5)" },
	{ S("* ESEARCH (TAG \"a1\") UID ALL 1:3,5\r\n"),
	  "U a:ESEARCH (a:TAG s:\"a1\") a:UID a:ALL a:1:3,5" },
	{ S("* VANISHED (EARLIER) 1:5\r\n"),
	  "U a:VANISHED (a:EARLIER) a:1:5" },
	{ S("* NAMESPACE ((\"\" \".\")) NIL NIL\r\n"),
	  "U a:NAMESPACE ((s:\"\" s:\".\")) NIL NIL" },
	{ S("* NAMESPACE ((\"\" \"/\")(\"#mh/\" \"/\" \"X-PARAM\" "
	    "(\"FLAG1\" \"FLAG2\"))) NIL ((\"#shared/\" \"/\"))\r\n"),
	  "U a:NAMESPACE ((s:\"\" s:\"/\") (s:\"#mh/\" s:\"/\" s:\"X-PARAM\" "
	  "(s:\"FLAG1\" s:\"FLAG2\"))) NIL ((s:\"#shared/\" s:\"/\"))" },
	{ S("* QUOTA \"\" (STORAGE 10 512)\r\n"),
	  "U a:QUOTA s:\"\" (a:STORAGE a:10 a:512)" },
	{ S("* ENABLED CONDSTORE\r\n"), "U a:ENABLED a:CONDSTORE" },
	{ S("* SEARCH 1 2 3\r\n"), "U a:SEARCH a:1 a:2 a:3" },
	{ S("* SEARCH\r\n"), "U a:SEARCH" },
	{ S("* SEARCH 1 2 \r\n"), "U a:SEARCH a:1 a:2" },
	{ S("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"),
	  "U a:FLAGS (a:\\x5cAnswered a:\\x5cFlagged a:\\x5cDeleted "
	  "a:\\x5cSeen a:\\x5cDraft)" },
	{ S("* FLAGS (\\Seen )\r\n"), "U a:FLAGS (a:\\x5cSeen)" },
	{ S("* ID NIL\r\n"), "U a:ID NIL" },
	{ S("* ID (\"name\" \"Dovecot\")\r\n"),
	  "U a:ID (s:\"name\" s:\"Dovecot\")" },
	{ S("* OKAY x\r\n"), "U a:OKAY a:x" },
	{ S("* 1 OK\r\n"), "U a:1 a:OK" },
	{ S("* ~ ~a ~[x y]\r\n"), "U a:~ a:~a a:~[x a:y]" },
	{ S("* {0}\r\n\r\n"), "U l:\"\"" },
	{ S("* (((a)))\r\n"), "U (((a:a)))" },
	{ S("* \"\\\\\" \"\\\"\"\r\n"), "U s:\"\\x5c\" s:\"\\x22\"" },
	{ S("* \"tab\there\"\r\n"), "U s:\"tab\\x09here\"" },
	{ S("* {00003}\r\nabc\r\n"), "U l:\"abc\"" },
};

struct bad {
	const char *name;
	const char *in;
	size_t len;
	enum imap_parse_result want;
	int limits;		/* 1: the small limits */
};

#define B(name, s, r)	{ name, s, sizeof(s) - 1, IMAP_PARSE_##r, 0 }
#define BL(name, s, r)	{ name, s, sizeof(s) - 1, IMAP_PARSE_##r, 1 }

static const struct bad bad[] = {
	B("empty line", "\r\n", ERROR),
	B("bare LF line", "\n", ERROR),
	B("star alone", "* \r\n", ERROR),
	B("star without space", "*\r\n", ERROR),
	B("star x", "*x\r\n", ERROR),
	B("plus x", "+x\r\n", ERROR),
	B("tag alone", "a1\r\n", ERROR),
	B("tag space", "a1 \r\n", ERROR),
	B("tag no status", "a1 FOO bar\r\n", ERROR),
	B("tagged BYE", "a1 BYE x\r\n", ERROR),
	B("tagged PREAUTH", "a1 PREAUTH x\r\n", ERROR),
	B("tag paren", "a(1 OK\r\n", ERROR),
	B("tag percent", "a%1 OK\r\n", ERROR),
	B("tag quote", "a\"1 OK\r\n", ERROR),
	B("tag backslash", "a\\1 OK\r\n", ERROR),
	B("tag plus", "a+1 OK\r\n", ERROR),
	B("tag brace", "a{1 OK\r\n", ERROR),
	B("tag 8-bit", "a\xc3\xa9 OK\r\n", ERROR),
	B("tag CTL", "a\x01 OK\r\n", ERROR),
	B("status glued", "a1 OK[ALERT] x\r\n", ERROR),
	B("two spaces after tag", "a1  OK\r\n", ERROR),
	B("bare LF after status", "a1 OK x\n", ERROR),
	B("bare LF after status word", "a1 OK\n", ERROR),
	B("bare CR in text", "a1 OK x\ry\r\n", ERROR),
	B("NUL in text", "a1 OK te\0xt\r\n", ERROR),
	B("NUL in continuation", "+ a\0\r\n", ERROR),
	B("unterminated code", "* OK [ALERT\r\n", ERROR),
	B("empty code", "* OK []\r\n", ERROR),
	B("bracket alone", "* BAD [\r\n", ERROR),
	B("code glued to text", "* OK [ALERT]x\r\n", ERROR),
	B("code with bad char", "* OK [AL(ERT] x\r\n", ERROR),
	B("code args NUL", "* OK [X a\0] x\r\n", ERROR),
	B("code args unterminated quote", "* OK [X \"a] x\r\n", ERROR),
	B("code args bad escape", "* OK [X \"a\\n\"] x\r\n", ERROR),
	B("code args bracket unbalanced", "* OK [X [a] x\r\n", ERROR),
	B("NUL in atom", "* a\0b\r\n", ERROR),
	B("NUL in string", "* \"a\0b\"\r\n", ERROR),
	B("CTL in atom", "* a\x7f" "b\r\n", ERROR),
	B("bare LF in atom", "* a\n", ERROR),
	B("bare LF in string", "* \"a\nb\"\r\n", ERROR),
	B("CR in string", "* \"a\rb\"\r\n", ERROR),
	B("bare CR in atom", "* a\rb\r\n", ERROR),
	B("bare LF at end", "* 1 EXISTS\n", ERROR),
	B("CR CR LF", "* 1 EXISTS\r\r\n", ERROR),
	B("bad escape", "* \"a\\n\"\r\n", ERROR),
	B("escape at end", "* \"a\\\r\n", ERROR),
	B("unterminated quote", "* \"abc\r\n", ERROR),
	B("double space", "* a  b\r\n", ERROR),
	B("two trailing spaces", "* a  \r\n", ERROR),
	B("space after paren", "* ( a)\r\n", ERROR),
	B("space-only list", "* ( )\r\n", ERROR),
	B("paren after atom", "* a(b)\r\n", ERROR),
	B("atom after string", "* \"a\"b\r\n", ERROR),
	B("atom after list", "* (a)b\r\n", ERROR),
	B("brace in atom", "* a{5}\r\n", ERROR),
	B("string after literal", "* {1}\r\na\"b\"\r\n", ERROR),
	B("unclosed section", "* 1 FETCH (BODY[ab)\r\n", ERROR),
	B("NUL in section", "* 1 FETCH (BODY[a\0])\r\n", ERROR),
	B("LF in section", "* 1 FETCH (BODY[a\n])\r\n", ERROR),
	B("unbalanced open", "* ((((\r\n", ERROR),
	B("unbalanced close", "* a)\r\n", ERROR),
	B("close first", "* )\r\n", ERROR),
	B("extra close", "* (a))\r\n", ERROR),
	B("missing close", "* (a\r\n", ERROR),
	B("missing close after list", "* ((a)\r\n", ERROR),
	B("missing close after literal", "* ({1}\r\na\r\n", ERROR),
	B("literal without CRLF", "* 1 FETCH (BODY[] {5}abcde)\r\n", ERROR),
	B("literal x", "* {5}x\r\n", ERROR),
	B("literal bare LF", "* {5}\nabcde\r\n", ERROR),
	B("literal CR x", "* {5}\rxabcde\r\n", ERROR),
	B("literal empty size", "* {}\r\n\r\n", ERROR),
	B("literal plus only", "* {+}\r\n\r\n", ERROR),
	B("literal plus twice", "* {1++}\r\na\r\n", ERROR),
	B("literal plus digit", "* {1+2}\r\na\r\n", ERROR),
	B("literal negative", "* {-1}\r\n\r\n", ERROR),
	B("literal space", "* { 5}\r\nabcde\r\n", ERROR),
	B("literal hex", "* {0x5}\r\nabcde\r\n", ERROR),
	B("literal 2^64-1", "* {18446744073709551615}\r\n", ERROR),
	B("literal 2^64", "* {18446744073709551616}\r\n", ERROR),
	B("literal 2^64+9", "* {18446744073709551625}\r\n", ERROR),
	B("literal 10^23", "* {99999999999999999999999}\r\n", ERROR),
	B("literal 2^64 * 10", "* {184467440737095516160}\r\n", ERROR),
	B("literal8 huge", "* ~{99999999999999999999999}\r\n", ERROR),
	B("literal in code args ok, then bad", "* OK [X {5}\r\nabc] x\r\n",
	  ERROR),
	B("tilde brace in atom", "* a~{1}\r\nx\r\n", ERROR),
	B("truncated literal", "* 1 FETCH (BODY[] {10}\r\nabc", MORE),
	B("truncated literal size", "* 1 FETCH (BODY[] {10", MORE),
	B("truncated line", "* 1 FETCH (UID 1", MORE),
	B("truncated CR", "* 1 EXISTS\r", MORE),
	B("truncated string", "* \"abc", MORE),
	B("truncated section", "* 1 FETCH (BODY[HEADER.FIELDS (A", MORE),
	B("truncated code", "* OK [ALERT x", MORE),
	B("huge literal announced, few bytes", "* 1 FETCH (BODY[] "
	  "{1000000000000}\r\nabc", ERROR),
	BL("line over max_line", "* 1 FETCH (UID 1 FLAGS (\\Seen) "
	  "RFC822.SIZE 1234567890 X 123 Y 456)\r\n", ERROR),
	BL("text over max_line", "a1 OK 0123456789012345678901234567890123"
	  "456789012345678901234567890123456789\r\n", ERROR),
	BL("literal over max_literal", "* 1 FETCH (A {17}\r\n"
	  "0123456789abcdefg)\r\n", ERROR),
	BL("literals over max_literal in all", "* 1 FETCH (A {9}\r\n"
	  "012345678 B {9}\r\n012345678)\r\n", ERROR),
	BL("streamed literal over max_body", "* 1 FETCH (BODY[] {101}\r\n",
	  ERROR),
	BL("depth over max_depth", "* 1 (((a)))\r\n", ERROR),
	BL("lines across literals over max_line", "* 1 FETCH (A "
	  "{1}\r\na B {1}\r\na C {1}\r\na D {1}\r\na E {1}\r\na "
	  "F {1}\r\na G {1}\r\na H {1}\r\na I)\r\n", ERROR),
};

static const struct imap_parser_limits small = { 64, 16, 100, 2 };

static void
test_valid(void)
{
	struct buf d;
	size_t i, len, c;
	enum imap_parse_result r;
	char name[64];

	buf_init(&d, DUMP_MAX);
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		len = valid[i].len;
		snprintf(name, sizeof(name), "valid %zu", i);
		r = parse_all_ways(name, valid[i].in, len, NULL, NULL, 1, &d,
		    &c);
		if (valid[i].want == NULL) {
			ok(r == IMAP_PARSE_ERROR, "%s: ERROR (%s)", name,
			    d.data);
			continue;
		}
		ok(r == IMAP_PARSE_DONE && c == len &&
		    strcmp(d.data, valid[i].want) == 0,
		    "%s: %s (consumed %zu of %zu)", name, d.data, c, len);
		if (strcmp(d.data, valid[i].want) != 0)
			diag("want %s", valid[i].want);
	}
	buf_free(&d);
}

static void
test_bad(void)
{
	struct buf d;
	struct stream st;
	size_t i, c;
	enum imap_parse_result r;

	buf_init(&d, DUMP_MAX);
	memset(&st, 0, sizeof(st));
	st.enabled = 1;
	buf_init(&st.data, DUMP_MAX);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = parse_all_ways(bad[i].name, bad[i].in, bad[i].len,
		    bad[i].limits ? &small : NULL, &st, 1, &d, &c);
		ok(r == bad[i].want && strchr(d.data, '!') == NULL,
		    "%s: %s (%s)", bad[i].name, rname(r), d.data);
	}
	buf_free(&st.data);
	buf_free(&d);
}

/* Literal limits: refusal comes when the size is read, before its data. */
static void
test_limits(void)
{
	static const char huge[] = "* 1 FETCH (BODY[] {5000000000}\r\nabc";
	static const char depth_ok[] = "* 1 ((a))\r\n";
	static const char mem[] = "* 1 FETCH (A {16}\r\n0123456789abcdef)\r\n";
	struct imap_parser_limits lim = { 0, 1000, 0, 0 };
	struct imap_parser *p;
	struct buf d;
	struct stream st;
	enum imap_parse_result r;
	size_t c, i;
	char line[200];

	buf_init(&d, DUMP_MAX);
	p = imap_parser_new(&lim);
	r = imap_parser_feed(p, huge, sizeof(huge) - 1, &c);
	ok(r == IMAP_PARSE_ERROR && c <= (size_t)(strchr(huge, '}') - huge + 1),
	    "announced size over max_literal fails at the '}' (%zu): %s", c,
	    imap_parser_error(p));
	imap_parser_free(&p);

	/* the default max_literal (64 MiB) too, fed byte by byte */
	p = imap_parser_new(NULL);
	for (i = 0; i < sizeof(huge) - 1; i++)
		if (imap_parser_feed(p, huge + i, 1, &c) != IMAP_PARSE_MORE)
			break;
	ok(i == (size_t)(strchr(huge, '}') - huge),
	    "default limits: error at the '}' too (byte %zu)", i);
	imap_parser_free(&p);

	r = parse_split(depth_ok, sizeof(depth_ok) - 1, &small, NULL, 0, &d,
	    &c);
	ok(r == IMAP_PARSE_DONE, "depth at max_depth is fine");
	r = parse_split(mem, sizeof(mem) - 1, &small, NULL, 0, &d, &c);
	ok(r == IMAP_PARSE_DONE, "literal at max_literal is fine: %s", d.data);
	/* literal contents do not count against max_line */
	snprintf(line, sizeof(line), "* 1 FETCH (A {16}\r\n0123456789abcdef "
	    "B 0123456789012345678901234567890123)\r\n");
	r = parse_split(line, strlen(line), &small, NULL, 0, &d, &c);
	ok(r == IMAP_PARSE_DONE, "max_line excludes literal contents: %s",
	    d.data);
	/* 64 bytes exactly, then 65 */
	memset(line, 'x', sizeof(line));
	memcpy(line, "* ", 2);
	memcpy(line + 62, "\r\n", 2);
	r = parse_split(line, 64, &small, NULL, 0, &d, &c);
	ok(r == IMAP_PARSE_DONE && c == 64, "a line of max_line bytes");
	memcpy(line + 62, "x\r\n", 3);
	r = parse_split(line, 65, &small, NULL, 0, &d, &c);
	ok(r == IMAP_PARSE_ERROR && c == 64,
	    "a line of max_line + 1 bytes: %s", d.data);

	/* streamed: max_body applies, max_literal does not */
	memset(&st, 0, sizeof(st));
	st.enabled = 1;
	buf_init(&st.data, DUMP_MAX);
	snprintf(line, sizeof(line), "* 1 FETCH (BODY[] {100}\r\n%0100d)\r\n",
	    7);
	r = parse_split(line, strlen(line), &small, &st, 0, &d, &c);
	ok(r == IMAP_PARSE_DONE && !st.bad && st.data.len == 105 &&
	    strcmp(d.data, "U a:1 a:FETCH (a:BODY[] S:100)") == 0,
	    "streamed literal of max_body bytes: %s", d.data);
	buf_free(&st.data);
	buf_free(&d);
}

/* Literal hooks: offsets right at every split point, memory and streams mixed. */
static void
test_hooks(void)
{
	static const char in[] =
	    "* 7 FETCH (UID 9 BODY[HEADER] {5}\r\nab\0cd BODY[] {12}\r\n"
	    "hello\r\nworld X {3}\r\nx)y BINARY[1] {0}\r\n RFC822.SIZE 3)\r\n";
	struct stream st;
	struct buf d;
	size_t c;

	memset(&st, 0, sizeof(st));
	st.enabled = 1;
	buf_init(&st.data, DUMP_MAX);
	buf_init(&d, DUMP_MAX);
	parse_all_ways("hooks", in, sizeof(in) - 1, NULL, &st, 1, &d, &c);
	ok(strcmp(d.data, "U a:7 a:FETCH (a:UID a:9 a:BODY[HEADER] S:5 "
	    "a:BODY[] S:12 a:X l:\"x)y\" a:BINARY[1] S:0 a:RFC822.SIZE a:3)")
	    == 0 && c == sizeof(in) - 1, "streamed tree: %s", d.data);
	ok(strcmp(st.data.data, "<5>ab\\x00cd<12>hello\\x0d\\x0aworld<0>") == 0
	    && !st.bad && st.hooks == 4, "streamed data: %s (%d hooks)",
	    st.data.data, st.hooks);
	/* a hook that declines keeps everything in memory */
	st.enabled = 0;
	st.hooks = 0;
	parse_all_ways("hooks declined", in, sizeof(in) - 1, NULL, &st, 0, &d,
	    &c);
	ok(strcmp(d.data, "U a:7 a:FETCH (a:UID a:9 a:BODY[HEADER] "
	    "l:\"ab\\x00cd\" a:BODY[] l:\"hello\\x0d\\x0aworld\" a:X l:\"x)y\" "
	    "a:BINARY[1] l:\"\" a:RFC822.SIZE a:3)") == 0 &&
	    st.data.len == 0, "declined: %s", d.data);
	buf_free(&st.data);
	buf_free(&d);
}

/* Several responses in one buffer; reuse of one parser; DONE is sticky. */
static void
test_sequence(void)
{
	static const char in[] = "* 1 EXISTS\r\n* 2 FETCH (BODY[] {3}\r\n"
	    "abc)\r\na1 OK done\r\n+ go\r\n";
	static const char *const want[] = {
		"U a:1 a:EXISTS",
		"U a:2 a:FETCH (a:BODY[] l:\"abc\")",
		"T:a1 OK t:done",
		"C t:go"
	};
	struct imap_parser *p;
	struct buf d;
	size_t pos = 0, c, n = 0, i;
	enum imap_parse_result r;
	int good = 1;

	buf_init(&d, DUMP_MAX);
	p = imap_parser_new(NULL);
	while (pos < sizeof(in) - 1) {
		r = imap_parser_feed(p, in + pos, sizeof(in) - 1 - pos, &c);
		if (r != IMAP_PARSE_DONE || n >= 4)
			break;
		pos += c;
		buf_reset(&d);
		dump_resp(&d, imap_parser_response(p));
		if (strcmp(d.data, want[n]) != 0) {
			diag("got %s want %s", d.data, want[n]);
			good = 0;
		}
		n++;
		if (imap_parser_feed(p, in + pos, 1, &c) != IMAP_PARSE_DONE ||
		    c != 0)
			good = 0;
		imap_parser_reset(p);
		ok(imap_parser_response(p) == NULL, "no response after reset");
	}
	ok(good && n == 4 && pos == sizeof(in) - 1,
	    "four responses in one buffer");
	/* many responses through one parser: the arena is reused */
	for (i = 0; i < 10000; i++) {
		imap_parser_reset(p);
		r = imap_parser_feed(p, in, sizeof(in) - 1, &c);
		if (r != IMAP_PARSE_DONE || c != 12)
			break;
	}
	ok(i == 10000, "10000 responses through one parser");
	imap_parser_free(&p);
	ok(p == NULL, "free sets NULL");
	imap_parser_free(&p);
	buf_free(&d);
}

/* Long lists (their vectors are handed to the arena) and deep reuse. */
static void
test_long_lists(void)
{
	struct imap_parser *p;
	const struct imap_response *r;
	const struct imap_arg *l;
	struct buf in, d;
	size_t i, c;
	int good;

	buf_init(&in, DUMP_MAX);
	buf_init(&d, DUMP_MAX);
	buf_append_str(&in, "* 1 FETCH (X (");
	for (i = 0; i < 3000; i++)
		buf_printf(&in, "%sa%zu", i > 0 ? " " : "", i);
	buf_append_str(&in, ") Y (");
	for (i = 0; i < 2; i++) {
		buf_append_str(&in, "(");
		for (c = 0; c < 1500; c++)
			buf_printf(&in, "%s\"%zu\"", c > 0 ? " " : "", c);
		buf_append_str(&in, ")");
	}
	buf_append_str(&in, "))\r\n");
	parse_all_ways("long lists", in.data, in.len, NULL, NULL, 0, &d, &c);
	p = imap_parser_new(NULL);
	for (i = 0; i < 3; i++) {
		imap_parser_reset(p);
		if (imap_parser_feed(p, in.data, in.len, &c) != IMAP_PARSE_DONE)
			break;
	}
	r = imap_parser_response(p);
	good = r != NULL && r->nargs == 3 && r->args[2].len == 4;
	if (good) {
		l = r->args[2].list;
		good = l[1].len == 3000 && l[3].len == 2 &&
		    l[3].list[1].len == 1500 &&
		    strcmp(l[1].list[2999].str, "a2999") == 0 &&
		    strcmp(l[3].list[1].list[1499].str, "1499") == 0 &&
		    l[3].list[1].list[1499].type == IMAP_ARG_STRING;
	}
	ok(good && c == in.len, "lists of 3000 and 2 x 1500 arguments");
	imap_parser_free(&p);
	buf_free(&in);
	buf_free(&d);
}

static void
test_parse_args(void)
{
	static const struct {
		const char *in;
		const char *want;	/* NULL: error */
	} t[] = {
		{ "(\\Seen \\*)", "U (a:\\x5cSeen a:\\x5c*)" },
		{ "3 1:4 7:10", "U a:3 a:1:4 a:7:10" },
		{ "", "U" },
		{ "NIL \"a b\" (x (y))", "U NIL s:\"a b\" (a:x (a:y))" },
		{ "38505 3955", "U a:38505 a:3955" },
		{ "a ", "U a:a" },
		{ "{3}\r\nabc", NULL },
		{ "~{3}\r\nabc", NULL },
		{ "a\r\nb", NULL },
		{ "a\r", NULL },
		{ "a\n", NULL },
		{ "(a", NULL },
		{ "a)", NULL },
		{ "a  b", NULL },
		{ " a", NULL },
		{ "\"a", NULL },
		{ "((((((((((((((((((x))))))))))))))))))", NULL },
	};
	struct imap_arg *args;
	struct imap_response r;
	struct buf d;
	size_t i, n;
	int ret;

	buf_init(&d, DUMP_MAX);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		args = NULL;
		ret = imap_parse_args(t[i].in, strlen(t[i].in), NULL, &args,
		    &n);
		if (t[i].want == NULL) {
			ok(ret == -1 && args == NULL, "parse_args \"%s\" fails",
			    t[i].in);
			continue;
		}
		buf_reset(&d);
		memset(&r, 0, sizeof(r));
		r.kind = IMAP_RESP_UNTAGGED;
		r.args = args;
		r.nargs = n;
		if (ret == 0)
			dump_resp(&d, &r);
		ok(ret == 0 && strcmp(d.data, t[i].want) == 0,
		    "parse_args \"%s\": %s", t[i].in, d.data);
		if (ret == 0)
			imap_args_free(args, n);
	}
	ok(imap_parse_args("a b c d", 7, &small, &args, &n) == 0 && n == 4,
	    "parse_args with limits");
	imap_args_free(args, n);
	ok(imap_parse_args("((a))", 5, &small, &args, &n) == 0, "depth 2");
	imap_args_free(args, n);
	ok(imap_parse_args("(((a)))", 7, &small, &args, &n) == -1,
	    "depth 3 over max_depth 2");
	buf_free(&d);
}

static void
test_helpers(void)
{
	struct imap_arg a;

	memset(&a, 0, sizeof(a));
	a.type = IMAP_ARG_ATOM;
	a.str = "Fetch";
	a.len = 5;
	ok(imap_arg_atom_is(&a, "FETCH") && !imap_arg_atom_is(&a, "FETC"),
	    "atom_is");
	ok(imap_arg_is_string(&a), "atom is a string");
	a.type = IMAP_ARG_STRING;
	ok(!imap_arg_atom_is(&a, "FETCH") && imap_arg_is_string(&a),
	    "a quoted string is not an atom");
	a.type = IMAP_ARG_LITERAL;
	ok(imap_arg_is_string(&a), "literal is a string");
	a.type = IMAP_ARG_NIL;
	ok(!imap_arg_is_string(&a), "NIL is not");
	a.type = IMAP_ARG_LITERAL_STREAMED;
	ok(!imap_arg_is_string(&a), "a streamed literal is not");
	ok(!imap_arg_atom_is(NULL, "x") && !imap_arg_is_string(NULL), "NULL");
}

int
main(void)
{
	test_valid();
	test_bad();
	test_limits();
	test_hooks();
	test_sequence();
	test_long_lists();
	test_parse_args();
	test_helpers();
	return done_testing();
}
