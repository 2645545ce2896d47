/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khugehog's tracepoints: perf record -e khugehog:*, or in bpftrace
 *   tracepoint:khugehog:alloc_latency { @us = hist(args->latency_ns / 1000); }
 *   tracepoint:khugehog:compact_block { @moved = sum(args->nr_moved); }
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM khugehog

#if !defined(_KHUGEHOG_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KHUGEHOG_TRACE_H

#include <linux/tracepoint.h>

/* One measured allocation, emitted after its second timestamp. */
TRACE_EVENT(alloc_latency,

	TP_PROTO(unsigned long index, unsigned int order, u64 latency_ns,
		 unsigned long pfn),

	TP_ARGS(index, order, latency_ns, pfn),

	TP_STRUCT__entry(
		__field(unsigned long,	index)
		__field(unsigned int,	order)
		__field(int,		success)
		__field(u64,		latency_ns)
		__field(unsigned long,	pfn)
	),

	TP_fast_assign(
		__entry->index = index;
		__entry->order = order;
		__entry->success = pfn != 0;
		__entry->latency_ns = latency_ns;
		__entry->pfn = pfn;
	),

	TP_printk("index=%lu order=%u success=%d latency_ns=%llu pfn=0x%lx",
		  __entry->index, __entry->order, __entry->success,
		  __entry->latency_ns, __entry->pfn)
);

/*
 * One block the targeted compactor tried to empty with
 * alloc_contig_range(): result is 0 or the negative errno it returned.
 */
TRACE_EVENT(compact_block,

	TP_PROTO(unsigned long pfn, unsigned int order, unsigned int nr_moved,
		 int result, u64 latency_ns),

	TP_ARGS(pfn, order, nr_moved, result, latency_ns),

	TP_STRUCT__entry(
		__field(unsigned long,	pfn)
		__field(unsigned int,	order)
		__field(unsigned int,	nr_moved)
		__field(int,		result)
		__field(u64,		latency_ns)
	),

	TP_fast_assign(
		__entry->pfn = pfn;
		__entry->order = order;
		__entry->nr_moved = nr_moved;
		__entry->result = result;
		__entry->latency_ns = latency_ns;
	),

	TP_printk("pfn=0x%lx order=%u nr_moved=%u result=%d latency_ns=%llu",
		  __entry->pfn, __entry->order, __entry->nr_moved,
		  __entry->result, __entry->latency_ns)
);

#endif /* _KHUGEHOG_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
