// SPDX-License-Identifier: GPL-2.0
#include "frag_args.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char frag_usage[] =
"usage: frag [OPTIONS]\n"
"Fill memory with anonymous 4K pages, then free most pages of every 2M chunk\n"
"so that almost no free 2M physical block is left.  Holds the memory until\n"
"SIGTERM, SIGINT or SIGHUP; SIGUSR1 writes the next --dump stage.\n"
"  -s, --size SIZE       memory to fill: bytes with an optional K/M/G/T suffix\n"
"                        (powers of 1024, e.g. 1G, 512MiB) or N% of\n"
"                        MemAvailable (0 < N <= 100, e.g. 90%, 12.5%).\n"
"                        Rounded up to whole 2M chunks.\n"
"                        Default: MemAvailable - headroom\n"
"  -H, --headroom SIZE   memory left for the rest of the system (no %).\n"
"                        Default: max(128 MiB, MemTotal/16)\n"
"  -f, --force           allow a SIZE above MemAvailable - headroom, up to\n"
"                        MemTotal\n"
"  -k, --keep N          4K pages kept per 2M chunk, 0..512 (default 128:\n"
"                        frees 3/4)\n"
"  -p, --pattern NAME    which pages are kept: random (default: a random\n"
"                        count in [0, 2N] per chunk, N on average, at random\n"
"                        places), stride (spread evenly, 0,4,8... for\n"
"                        --keep 128: the reference article's) or head (the\n"
"                        first N pages of each chunk) or pfn (the pages whose\n"
"                        physical frame number is a multiple of 512/N, read\n"
"                        from pagemap: needs CAP_SYS_ADMIN, and N a power of\n"
"                        two; the trigger of compact_memory's early stop, see\n"
"                        README)\n"
"  -P, --pfn-offset R    --pattern pfn: keep the pages whose frame number is R\n"
"                        more than a multiple of 512/N instead, 0 <= R < 512/N\n"
"                        (default 0)\n"
"  -S, --seed N          seed of --pattern random (default 1): the same seed,\n"
"                        the same pattern\n"
"  -d, --dump PREFIX     write mapped 4K pages per 2M physical region to\n"
"                        PREFIX-<stage>.txt: 0 after filling, 1 after\n"
"                        punching, 2, 3... on each SIGUSR1 (needs\n"
"                        CAP_SYS_ADMIN to see PFNs)\n"
"  -w, --wait-punch      after filling (and dump 0), print \"frag: filled\" and\n"
"                        wait for SIGUSR1 before punching\n"
"  -u, --unmovable PCT[:SEED]\n"
"                        after punching, have khugehog.ko (loaded, debugfs\n"
"                        mounted) pin one unmovable kernel page in PCT% of\n"
"                        all pageblocks, 0..100, chosen from SEED (default\n"
"                        1); released when frag exits\n"
"  -q, --quiet           no progress output\n"
"  -h, --help            this text\n";

static const struct option long_opts[] = {
	{ "size",	required_argument,	NULL, 's' },
	{ "headroom",	required_argument,	NULL, 'H' },
	{ "force",	no_argument,		NULL, 'f' },
	{ "keep",	required_argument,	NULL, 'k' },
	{ "pattern",	required_argument,	NULL, 'p' },
	{ "seed",	required_argument,	NULL, 'S' },
	{ "pfn-offset",	required_argument,	NULL, 'P' },
	{ "dump",	required_argument,	NULL, 'd' },
	{ "wait-punch",	no_argument,		NULL, 'w' },
	{ "unmovable",	required_argument,	NULL, 'u' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 },
};

/* Leading ':' so a missing argument is told apart from an unknown option. */
static const char short_opts[] = ":s:H:fk:p:S:P:d:wu:qh";

/* Decimal digits at *@p; advances *@p.  -EINVAL if none, -ERANGE. */
static int parse_digits(const char **p, uint64_t *v)
{
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (*v = 0; isdigit((unsigned char)*s); s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (*v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		*v = *v * 10 + d;
	}
	*p = s;
	return 0;
}

/* Binary shift for a K/M/G/T suffix, or 0 for none; advances *@p. */
static unsigned int parse_suffix(const char **p)
{
	static const char units[] = "kmgt";
	const char *u = **p ? strchr(units, tolower((unsigned char)**p)) : NULL;
	unsigned int shift = 0;

	if (u) {
		shift = 10 * (unsigned int)(u - units + 1);
		(*p)++;
		if (tolower((unsigned char)(*p)[0]) == 'i' &&
		    tolower((unsigned char)(*p)[1]) == 'b')
			*p += 2;
	}
	if (tolower((unsigned char)**p) == 'b')
		(*p)++;
	return shift;
}

#define UPERCENT_PER_PERCENT	UINT64_C(1000000)
#define UPERCENT_DIGITS		6

/* "N%" or "N.D%" after the integer part @whole; *@p is at '.' or '%'. */
static int parse_percent(const char *p, uint64_t whole, struct frag_size *sz)
{
	uint64_t frac = 0, scale = UPERCENT_PER_PERCENT;

	if (whole > 100)
		return -EDOM;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (scale == 1)
				return -EINVAL;	/* beyond a millionth */
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (strcmp(p, "%"))
		return -EINVAL;
	sz->is_percent = true;
	sz->bytes = 0;
	sz->upercent = whole * UPERCENT_PER_PERCENT + frac;
	if (!sz->upercent || sz->upercent > 100 * UPERCENT_PER_PERCENT)
		return -EDOM;
	return 0;
}

int frag_size_parse(const char *s, bool allow_percent, struct frag_size *sz)
{
	const char *p = s;
	unsigned int shift;
	uint64_t v;
	int ret;

	ret = parse_digits(&p, &v);
	if (ret)
		return ret;
	if (*p == '.' || *p == '%')
		return allow_percent ? parse_percent(p, v, sz) : -EINVAL;
	shift = parse_suffix(&p);
	if (*p)
		return -EINVAL;
	if (v > UINT64_MAX >> shift)
		return -ERANGE;
	sz->is_percent = false;
	sz->bytes = v << shift;
	sz->upercent = 0;
	return 0;
}

uint64_t frag_size_bytes(const struct frag_size *sz, uint64_t mem_available)
{
	const uint64_t whole = 100 * UPERCENT_PER_PERCENT;

	if (!sz->is_percent)
		return sz->bytes;
	/* Split so mem_available * upercent cannot overflow. */
	return mem_available / whole * sz->upercent +
	       mem_available % whole * sz->upercent / whole;
}

/* Round up to whole chunks; -ERANGE if that overflows. */
static int round_to_chunks(uint64_t *bytes)
{
	if (*bytes > UINT64_MAX - (FRAG_CHUNK_SIZE - 1))
		return -ERANGE;
	*bytes = (*bytes + FRAG_CHUNK_SIZE - 1) & ~(FRAG_CHUNK_SIZE - 1);
	return 0;
}

int frag_parse_size(const char *s, uint64_t mem_available, uint64_t *bytes)
{
	struct frag_size sz;
	int ret;

	ret = frag_size_parse(s, true, &sz);
	if (ret)
		return ret;
	*bytes = frag_size_bytes(&sz, mem_available);
	ret = round_to_chunks(bytes);
	if (ret)
		return ret;
	return *bytes ? 0 : -EINVAL;
}

uint64_t frag_default_headroom(uint64_t mem_total)
{
	uint64_t h = mem_total / 16;

	return h > FRAG_MIN_HEADROOM ? h : FRAG_MIN_HEADROOM;
}

static int size_option(const char *name, const char *arg, bool allow_percent,
		       struct frag_size *sz, char *err, size_t errlen)
{
	int ret = frag_size_parse(arg, allow_percent, sz);

	switch (ret) {
	case 0:
		return 0;
	case -ERANGE:
		snprintf(err, errlen, "%s '%s' is too large", name, arg);
		break;
	case -EDOM:
		snprintf(err, errlen, "%s '%s': percentage must be in (0, 100]",
			 name, arg);
		break;
	default:
		snprintf(err, errlen,
			 "invalid %s '%s': expected bytes with an optional K/M/G/T suffix%s",
			 name, arg, allow_percent ? " or N%" : "");
		break;
	}
	return ret;
}

static int keep_option(const char *arg, unsigned int *keep,
		       char *err, size_t errlen)
{
	const char *p = arg;
	uint64_t v;

	if (parse_digits(&p, &v) || *p || v > PUNCH_CHUNK_PAGES) {
		snprintf(err, errlen, "invalid --keep '%s': expected 0..%u",
			 arg, PUNCH_CHUNK_PAGES);
		return -EINVAL;
	}
	*keep = (unsigned int)v;
	return 0;
}

/* "PCT" or "PCT:SEED" */
static int unmovable_option(const char *arg, struct frag_opts *o,
			    char *err, size_t errlen)
{
	const char *p = arg;
	uint64_t pct, seed = 1;

	if (parse_digits(&p, &pct) || pct > 100 ||
	    (*p == ':' && (++p, parse_digits(&p, &seed))) || *p) {
		snprintf(err, errlen,
			 "invalid --unmovable '%s': expected PERCENT (0..100) or PERCENT:SEED",
			 arg);
		return -EINVAL;
	}
	o->unmovable_set = true;
	o->unmovable_pct = (unsigned int)pct;
	o->unmovable_seed = seed;
	return 0;
}

/* The option getopt_long() complained about, as the user typed it. */
static void bad_option(int c, char **argv, char *err, size_t errlen)
{
	const struct option *lo;

	if (c == ':') {
		for (lo = long_opts; lo->name; lo++)
			if (lo->val == optopt)
				break;
		snprintf(err, errlen, "option --%s (-%c) needs an argument",
			 lo->name ? lo->name : "?", optopt);
	} else if (optopt) {
		snprintf(err, errlen, "unknown option '-%c'", optopt);
	} else {
		snprintf(err, errlen, "unknown or ambiguous option '%s'",
			 argv[optind - 1]);
	}
}

/* --pattern pfn keeps the frames a multiple of 512 / keep: keep divides 512. */
static enum frag_args_result pfn_options_check(const struct frag_opts *o,
					       char *err, size_t errlen)
{
	if (o->pattern != PUNCH_PFN) {
		if (!o->pfn_offset_set)
			return FRAG_ARGS_OK;
		snprintf(err, errlen, "--pfn-offset goes with --pattern %s",
			 punch_pattern_name(PUNCH_PFN));
		return FRAG_ARGS_USAGE;
	}
	if (!o->keep || (o->keep & (o->keep - 1))) {
		snprintf(err, errlen,
			 "--pattern %s needs a --keep that is a power of two, 1..%u (not %u)",
			 punch_pattern_name(PUNCH_PFN), PUNCH_CHUNK_PAGES, o->keep);
		return FRAG_ARGS_USAGE;
	}
	if (o->pfn_offset >= PUNCH_CHUNK_PAGES / o->keep) {
		snprintf(err, errlen,
			 "--pfn-offset %u: with --keep %u it must be below %u",
			 o->pfn_offset, o->keep, PUNCH_CHUNK_PAGES / o->keep);
		return FRAG_ARGS_USAGE;
	}
	return FRAG_ARGS_OK;
}

static void set_defaults(struct frag_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->keep = FRAG_DEFAULT_KEEP;
	/*
	 * Not the article's stride: compact_memory's free scanner can
	 * stride over its kept pages and stop early (see README).
	 */
	o->pattern = PUNCH_RANDOM;
	o->seed = 1;
}

enum frag_args_result frag_parse_args(int argc, char **argv,
				      struct frag_opts *o,
				      char *err, size_t errlen)
{
	int c;

	set_defaults(o);
	optind = 0;	/* glibc: full reset, so tests can parse repeatedly */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (size_option("--size", optarg, true, &o->size,
					err, errlen))
				return FRAG_ARGS_USAGE;
			if (!o->size.is_percent && !o->size.bytes) {
				snprintf(err, errlen, "--size must not be 0");
				return FRAG_ARGS_USAGE;
			}
			o->size_set = true;
			break;
		case 'H': {
			struct frag_size h;

			if (size_option("--headroom", optarg, false, &h,
					err, errlen))
				return FRAG_ARGS_USAGE;
			o->headroom = h.bytes;
			o->headroom_set = true;
			break;
		}
		case 'f':
			o->force = true;
			break;
		case 'k':
			if (keep_option(optarg, &o->keep, err, errlen))
				return FRAG_ARGS_USAGE;
			break;
		case 'p':
			if (punch_pattern_parse(optarg, &o->pattern)) {
				char names[64];

				punch_pattern_list(names, sizeof(names));
				snprintf(err, errlen,
					 "unknown --pattern '%s': expected one of %s",
					 optarg, names);
				return FRAG_ARGS_USAGE;
			}
			break;
		case 'P': {
			const char *p = optarg;
			uint64_t v;

			if (parse_digits(&p, &v) || *p || v >= PUNCH_CHUNK_PAGES) {
				snprintf(err, errlen,
					 "invalid --pfn-offset '%s': expected 0..%u",
					 optarg, PUNCH_CHUNK_PAGES - 1);
				return FRAG_ARGS_USAGE;
			}
			o->pfn_offset = (unsigned int)v;
			o->pfn_offset_set = true;
			break;
		}
		case 'S': {
			const char *p = optarg;

			if (parse_digits(&p, &o->seed) || *p) {
				snprintf(err, errlen,
					 "invalid --seed '%s': expected a whole number",
					 optarg);
				return FRAG_ARGS_USAGE;
			}
			break;
		}
		case 'd':
			if (!*optarg) {
				snprintf(err, errlen, "--dump needs a non-empty PREFIX");
				return FRAG_ARGS_USAGE;
			}
			o->dump_prefix = optarg;
			break;
		case 'w':
			o->wait_punch = true;
			break;
		case 'u':
			if (unmovable_option(optarg, o, err, errlen))
				return FRAG_ARGS_USAGE;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			return FRAG_ARGS_HELP;
		default:
			bad_option(c, argv, err, errlen);
			return FRAG_ARGS_USAGE;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return FRAG_ARGS_USAGE;
	}
	return pfn_options_check(o, err, errlen);
}

int frag_fill_size(const struct frag_opts *o, uint64_t mem_total,
		   uint64_t mem_available, uint64_t *bytes,
		   char *err, size_t errlen)
{
	uint64_t headroom = o->headroom_set ? o->headroom :
			    frag_default_headroom(mem_total);
	uint64_t limit = mem_available > headroom ? mem_available - headroom : 0;

	if (!o->size_set) {
		*bytes = limit & ~(FRAG_CHUNK_SIZE - 1);
		if (!*bytes) {
			snprintf(err, errlen,
				 "MemAvailable %" PRIu64 " MiB - headroom %" PRIu64
				 " MiB leaves nothing to fill",
				 mem_available / FRAG_MIB, headroom / FRAG_MIB);
			return -EINVAL;
		}
		return 0;
	}

	*bytes = frag_size_bytes(&o->size, mem_available);
	if (round_to_chunks(bytes) || *bytes > mem_total) {
		snprintf(err, errlen,
			 "size %" PRIu64 " MiB exceeds MemTotal %" PRIu64 " MiB",
			 *bytes / FRAG_MIB, mem_total / FRAG_MIB);
		return -EINVAL;
	}
	if (!*bytes) {
		snprintf(err, errlen, "size is 0 (MemAvailable %" PRIu64 " MiB)",
			 mem_available / FRAG_MIB);
		return -EINVAL;
	}
	if (*bytes > limit && !o->force) {
		snprintf(err, errlen,
			 "size %" PRIu64 " MiB exceeds MemAvailable %" PRIu64
			 " MiB - headroom %" PRIu64 " MiB = %" PRIu64
			 " MiB; use --force to fill up to MemTotal (%" PRIu64
			 " MiB)",
			 *bytes / FRAG_MIB, mem_available / FRAG_MIB,
			 headroom / FRAG_MIB, limit / FRAG_MIB,
			 mem_total / FRAG_MIB);
		return -EINVAL;
	}
	return 0;
}
