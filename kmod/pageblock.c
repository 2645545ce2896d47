// SPDX-License-Identifier: GPL-2.0
/*
 * Which pages and pageblocks the module may take or empty.
 *
 * alloc_contig_range(..., MIGRATE_MOVABLE) on 6.1 and 6.12 leaves every
 * pageblock it isolated labelled MIGRATE_MOVABLE, whatever it was before
 * and whether or not the migration worked.  Used on an UNMOVABLE,
 * RECLAIMABLE or HIGHATOMIC block it would undo the allocator's grouping
 * by mobility, which is what the experiment measures.  So the module only
 * ever calls it on blocks that are already MOVABLE.  (6.16 and later keep
 * the type while a block is isolated; the rule costs nothing there.)
 *
 * get_pageblock_migratetype() is not exported; khh_pageblock_migratetype()
 * is the same lockless read of the section's pageblock bitmap that
 * get_pfnblock_flags_mask() does, with the layout taken from the kernel's
 * own headers.  The "pageblock_types" file counts blocks with it, in the
 * layout of /proc/pagetypeinfo's "Number of blocks type" table, so that a
 * test can check it against the kernel on every kernel it runs on.
 */
#include <linux/debugfs.h>
#include <linux/hugetlb.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/page-flags.h>
#include <linux/seq_file.h>

#include "khugehog.h"

/*
 * What pfn_range_valid_contig(), alloc_contig_pages()' own check, asks of
 * every page: online memory (pfn_valid() is also true for offline
 * sections, whose struct pages must not be read), in @zone, not reserved,
 * not a hugetlb page.
 */
bool khh_pfn_usable(struct zone *zone, unsigned long pfn, struct page **pagep)
{
	struct page *page = pfn_to_online_page(pfn);

	if (!page || page_zone(page) != zone || PageReserved(page) ||
	    PageHuge(page))
		return false;
	if (pagep)
		*pagep = page;
	return true;
}

/*
 * The bits of a block's type: 6.16 made isolation a bit of its own beside
 * the three migratetype bits, where earlier kernels stored MIGRATE_ISOLATE
 * in them.
 */
#ifdef PAGEBLOCK_MIGRATETYPE_MASK
static int khh_block_type(unsigned long bits)
{
#ifdef CONFIG_MEMORY_ISOLATION
	if (bits & PAGEBLOCK_ISO_MASK)
		return MIGRATE_ISOLATE;
#endif
	return bits & PAGEBLOCK_MIGRATETYPE_MASK;
}

#define KHH_BLOCK_TYPE_MASK (PAGEBLOCK_MIGRATETYPE_MASK | PAGEBLOCK_ISO_MASK)
#else
static int khh_block_type(unsigned long bits)
{
	return bits;
}

#define KHH_BLOCK_TYPE_MASK MIGRATETYPE_MASK
#endif

static int khh_pageblock_migratetype(const struct page *page,
				     unsigned long pfn)
{
	unsigned long *bitmap, bitidx;

#ifdef CONFIG_SPARSEMEM
	bitmap = section_to_usemap(__pfn_to_section(pfn));
	bitidx = pfn & (PAGES_PER_SECTION - 1);
#else
	bitmap = page_zone(page)->pageblock_flags;
	bitidx = pfn - pageblock_start_pfn(page_zone(page)->zone_start_pfn);
#endif
	bitidx = (bitidx >> pageblock_order) * NR_PAGEBLOCK_BITS;
	return khh_block_type((READ_ONCE(bitmap[bitidx / BITS_PER_LONG]) >>
			       (bitidx % BITS_PER_LONG)) & KHH_BLOCK_TYPE_MASK);
}

/*
 * The pageblock of @pfn, an online pfn, is MIGRATE_MOVABLE.  Unlocked, as
 * the allocator's own readers: a block the allocator relabels right after
 * is one alloc_contig_range() may relabel back, a race of the same kind
 * as compaction's.
 */
bool khh_pageblock_movable(unsigned long pfn)
{
	return khh_pageblock_migratetype(pfn_to_page(pfn), pfn) ==
	       MIGRATE_MOVABLE;
}

/* pagetypeinfo_showblockcount_print(), with the module's read */
static int khh_pageblock_types_show(struct seq_file *m, void *v)
{
	unsigned long count[MIGRATE_TYPES], pfn, end;
	struct page *page;
	struct zone *zone;
	int nid, z, mt;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (!populated_zone(zone))
				continue;
			memset(count, 0, sizeof(count));
			end = zone_end_pfn(zone);
			for (pfn = zone->zone_start_pfn; pfn < end;
			     pfn += pageblock_nr_pages) {
				page = pfn_to_online_page(pfn);
				if (!page || page_zone(page) != zone)
					continue;
				mt = khh_pageblock_migratetype(page, pfn);
				if (mt < MIGRATE_TYPES)
					count[mt]++;
			}
			seq_printf(m, "Node %d, zone %8s ", nid, zone->name);
			for (mt = 0; mt < MIGRATE_TYPES; mt++)
				seq_printf(m, "%12lu ", count[mt]);
			seq_putc(m, '\n');
			cond_resched();
		}
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(khh_pageblock_types);

void khh_pageblock_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("pageblock_types", 0444, dir, NULL,
			    &khh_pageblock_types_fops);
}
