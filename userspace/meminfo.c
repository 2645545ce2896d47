// SPDX-License-Identifier: GPL-2.0
#include "meminfo.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

/* "Name:   12345 kB": returns true and the value if @line holds @name. */
static bool parse_field(const char *line, const char *name, uint64_t *kib)
{
	size_t len = strlen(name);
	uint64_t v = 0;
	const char *p;

	if (strncmp(line, name, len) || line[len] != ':')
		return false;
	p = line + len + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	/* Every field used here is in kB: refuse anything else. */
	if (strncmp(p, " kB", 3))
		return false;
	*kib = v;
	return true;
}

int meminfo_parse(const char *text, struct meminfo *m)
{
	bool total = false, avail = false, mfree = false;
	const char *line = text;

	while (line && *line) {
		if (!total)
			total = parse_field(line, "MemTotal", &m->total_kib);
		if (!avail)
			avail = parse_field(line, "MemAvailable",
					    &m->available_kib);
		if (!mfree)
			mfree = parse_field(line, "MemFree", &m->free_kib);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return total && avail && mfree ? 0 : -EINVAL;
}

int meminfo_read(struct meminfo *m)
{
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Short reads happen on procfs: read until EOF. */
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return meminfo_parse(buf, m);
}
