/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khugehog's tracepoints: perf record -e khugehog:*, or in bpftrace
 *   tracepoint:khugehog:alloc_latency { @us = hist(args->latency_ns / 1000); }
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

#endif /* _KHUGEHOG_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
