/*
 * CRC-32 sliced by 8 (see crc.h): eight tables, so that eight bytes
 * cost eight look-ups and no dependency between them but the last.
 */
#include "crc.h"

static uint32_t table[8][256];

void
crc32_init(void)
{
	uint32_t c, i, k;

	for (i = 0; i < 256; i++) {
		for (c = i, k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xff];
}

uint32_t
crc32_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *b = data;
	uint32_t c = ~crc;

	for (; len >= 8; len -= 8, b += 8) {
		c ^= (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		    (uint32_t)b[3] << 24;
		c = table[7][c & 0xff] ^ table[6][(c >> 8) & 0xff] ^
		    table[5][(c >> 16) & 0xff] ^ table[4][c >> 24] ^
		    table[3][b[4]] ^ table[2][b[5]] ^ table[1][b[6]] ^ table[0][b[7]];
	}
	while (len-- > 0)
		c = table[0][(c ^ *b++) & 0xff] ^ (c >> 8);
	return ~c;
}
