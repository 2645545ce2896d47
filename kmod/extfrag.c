// SPDX-License-Identifier: GPL-2.0
/*
 * Fragmentation as the module measures it, from every populated zone's free
 * lists: extfrag_index and unusable_index in the layout of the kernel's
 * /sys/kernel/debug/extfrag/ files, so that a plain diff against them
 * works, and each node's fragmentation score as kcompactd computes it.
 */
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>

#include "khugehog.h"
#include "fragmentation.h"

/* A consistent copy of the free block counts, as the kernel's files take. */
void khh_zone_nr_free(struct zone *zone, u64 *nr_free)
{
	unsigned long flags;
	unsigned int order;

	spin_lock_irqsave(&zone->lock, flags);
	for (order = 0; order < KHH_NR_ORDERS; order++)
		nr_free[order] = zone->free_area[order].nr_free;
	spin_unlock_irqrestore(&zone->lock, flags);
}

/*
 * A zone's score from a copy of its free counts; added to *free_blocks,
 * its free blocks of the score order or more, counted in blocks of that
 * order.
 */
static unsigned int khh_zone_score(const u64 *nr_free, u64 *free_blocks)
{
	struct khh_contig_info info;

	khh_contig_info(nr_free, KHH_NR_ORDERS, KHH_SCORE_ORDER, &info);
	if (free_blocks)
		*free_blocks += info.free_blocks_suitable;
	return khh_extfrag_for_order(KHH_SCORE_ORDER, &info);
}

static unsigned int khh_zone_weighted(struct zone *zone, unsigned int score)
{
	return khh_score_weighted(zone->present_pages, score,
				  zone->zone_pgdat->node_present_pages);
}

/*
 * fragmentation_score_node(): 0 (none) to 100, weighted by zone size;
 * with free_blocks, also the node's free blocks of the score order or
 * more, from the same look at each zone.
 */
unsigned int khh_node_frag(int nid, u64 *free_blocks)
{
	u64 nr_free[KHH_NR_ORDERS];
	unsigned int score = 0;
	struct zone *zone;
	int z;

	if (free_blocks)
		*free_blocks = 0;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		zone = &NODE_DATA(nid)->node_zones[z];
		if (!populated_zone(zone))
			continue;
		khh_zone_nr_free(zone, nr_free);
		score += khh_zone_weighted(zone,
					   khh_zone_score(nr_free, free_blocks));
	}
	return score;
}

/* The node's free blocks of @order or more, counted in blocks of @order. */
u64 khh_node_free_blocks(int nid, unsigned int order)
{
	struct khh_contig_info info;
	u64 nr_free[KHH_NR_ORDERS], n = 0;
	struct zone *zone;
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++) {
		zone = &NODE_DATA(nid)->node_zones[z];
		if (!populated_zone(zone))
			continue;
		khh_zone_nr_free(zone, nr_free);
		khh_contig_info(nr_free, KHH_NR_ORDERS, order, &info);
		n += info.free_blocks_suitable;
	}
	return n;
}

/* One line per populated zone: the index at every order, in thousandths. */
static void khh_show_index(struct seq_file *m, bool unusable)
{
	struct khh_contig_info info;
	u64 nr_free[KHH_NR_ORDERS];
	unsigned int order;
	struct zone *zone;
	int nid, z, index;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (!populated_zone(zone))
				continue;
			khh_zone_nr_free(zone, nr_free);
			seq_printf(m, "Node %d, zone %8s ", nid, zone->name);
			for (order = 0; order < KHH_NR_ORDERS; order++) {
				khh_contig_info(nr_free, KHH_NR_ORDERS, order,
						&info);
				if (unusable) {
					index = khh_unusable_index(order, &info);
					seq_printf(m, "%d.%03d ", index / 1000,
						   index % 1000);
				} else {
					index = khh_fragmentation_index(order,
									&info);
					seq_printf(m, "%2d.%03d ", index / 1000,
						   index % 1000);
				}
			}
			seq_putc(m, '\n');
		}
	}
}

static int khh_extfrag_index_show(struct seq_file *m, void *v)
{
	khh_show_index(m, false);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(khh_extfrag_index);

static int khh_unusable_index_show(struct seq_file *m, void *v)
{
	khh_show_index(m, true);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(khh_unusable_index);

/*
 * The node line and its zone lines come from one copy of each zone's
 * free counts, so that the weighted zone scores add up to the node's.
 */
static int khh_fragmentation_score_show(struct seq_file *m, void *v)
{
	unsigned int score[MAX_NR_ZONES], node;
	u64 nr_free[KHH_NR_ORDERS];
	pg_data_t *pgdat;
	struct zone *zone;
	int nid, z;

	for_each_online_node(nid) {
		pgdat = NODE_DATA(nid);
		node = 0;
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &pgdat->node_zones[z];
			score[z] = 0;
			if (!populated_zone(zone))
				continue;
			khh_zone_nr_free(zone, nr_free);
			score[z] = khh_zone_score(nr_free, NULL);
			node += khh_zone_weighted(zone, score[z]);
		}
		seq_printf(m, "Node %d score %u\n", nid, node);
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &pgdat->node_zones[z];
			if (!populated_zone(zone))
				continue;
			seq_printf(m, "Node %d, zone %8s score %u weighted %u\n",
				   nid, zone->name, score[z],
				   khh_zone_weighted(zone, score[z]));
		}
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(khh_fragmentation_score);

void khh_extfrag_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("extfrag_index", 0444, dir, NULL,
			    &khh_extfrag_index_fops);
	debugfs_create_file("unusable_index", 0444, dir, NULL,
			    &khh_unusable_index_fops);
	debugfs_create_file("fragmentation_score", 0444, dir, NULL,
			    &khh_fragmentation_score_fops);
}
