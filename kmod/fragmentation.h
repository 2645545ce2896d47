/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's external fragmentation measures (mm/vmstat.c, mm/compaction.c),
 * which a module cannot call, computed from a zone's free block counts.
 * Pure functions: userspace/tests runs them against known values.  The
 * divisions are the kernel's own, div_u64() with its 32-bit divisor
 * included, so that the results are the same to the last digit.
 */
#ifndef KHUGEHOG_FRAGMENTATION_H
#define KHUGEHOG_FRAGMENTATION_H

#include <linux/math64.h>
#include <linux/types.h>

/* fill_contig_page_info() over a copy of free_area[].nr_free */
struct khh_contig_info {
	u64 free_pages;
	u64 free_blocks_total;
	u64 free_blocks_suitable;
};

static inline void khh_contig_info(const u64 *nr_free, unsigned int nr_orders,
				   unsigned int suitable_order,
				   struct khh_contig_info *info)
{
	unsigned int order;

	info->free_pages = 0;
	info->free_blocks_total = 0;
	info->free_blocks_suitable = 0;
	for (order = 0; order < nr_orders; order++) {
		info->free_blocks_total += nr_free[order];
		info->free_pages += nr_free[order] << order;
		if (order >= suitable_order)
			info->free_blocks_suitable +=
				nr_free[order] << (order - suitable_order);
	}
}

/*
 * __fragmentation_index(), in thousandths: -1000 when a block of @order is
 * free; else near 0 when a failure would be for lack of memory, near
 * 1000 when it would be for fragmentation.
 */
static inline int khh_fragmentation_index(unsigned int order,
					  const struct khh_contig_info *info)
{
	if (!info->free_blocks_total)
		return 0;
	if (info->free_blocks_suitable)
		return -1000;
	return 1000 - (int)div_u64(1000 + div_u64(info->free_pages * 1000ULL,
						    1U << order),
				   info->free_blocks_total);
}

/* unusable_free_index(), in thousandths: free memory unusable at @order */
static inline int khh_unusable_index(unsigned int order,
				     const struct khh_contig_info *info)
{
	if (!info->free_pages)
		return 1000;
	return (int)div_u64((info->free_pages -
			     (info->free_blocks_suitable << order)) * 1000ULL,
			    info->free_pages);
}

/* extfrag_for_order(), in percent: kcompactd's zone fragmentation score */
static inline unsigned int khh_extfrag_for_order(unsigned int order,
						 const struct khh_contig_info *info)
{
	if (!info->free_pages)
		return 0;
	return (unsigned int)div_u64((info->free_pages -
				      (info->free_blocks_suitable << order)) * 100,
				     info->free_pages);
}

/* fragmentation_score_zone_weighted(): a zone's share of its node's score */
static inline unsigned int khh_score_weighted(u64 zone_present_pages,
					      unsigned int zone_score,
					      u64 node_present_pages)
{
	return (unsigned int)div64_u64(zone_present_pages * zone_score,
				       node_present_pages + 1);
}

#endif /* KHUGEHOG_FRAGMENTATION_H */
