/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember tracepoints (docs/datapath.md §Tracing). Together with the stable
 * gpu_scheduler tracepoints (drm_sched_job, drm_run_job,
 * drm_sched_process_job) they follow a BO execution from EXECUTE_BO to its
 * completion; tools/bpftrace/ember-jobs.bt reports from them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ember

#if !defined(_EMBER_TRACE_H_) || defined(TRACE_HEADER_MULTI_READ)
#define _EMBER_TRACE_H_

#include <linux/tracepoint.h>

/* The requests of an execution were written into its DBC's ring. */
TRACE_EVENT(ember_job_submit,
	    TP_PROTO(const char *dev, u32 dbc, u64 job_id, u32 nreqs, u32 inflight),
	    TP_ARGS(dev, dbc, job_id, nreqs, inflight),
	    TP_STRUCT__entry(__string(dev, dev)
			     __field(u32, dbc)
			     __field(u64, job_id)
			     __field(u32, nreqs)
			     __field(u32, inflight)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->dbc = dbc;
			   __entry->job_id = job_id;
			   __entry->nreqs = nreqs;
			   __entry->inflight = inflight;),
	    TP_printk("dev=%s dbc=%u job_id=%llu nreqs=%u inflight=%u",
		      __get_str(dev), __entry->dbc, __entry->job_id,
		      __entry->nreqs, __entry->inflight)
);

/*
 * An execution ended: all its responses arrived, or it was cancelled.
 * @latency_ns runs from EXECUTE_BO to now. @job_id is the drm_sched job id
 * (the "id" of the gpu_scheduler events), also the requests' cookie.
 */
TRACE_EVENT(ember_job_complete,
	    TP_PROTO(const char *dev, u32 dbc, u64 job_id, int error,
		     u64 latency_ns, u64 device_ns),
	    TP_ARGS(dev, dbc, job_id, error, latency_ns, device_ns),
	    TP_STRUCT__entry(__string(dev, dev)
			     __field(u32, dbc)
			     __field(u64, job_id)
			     __field(int, error)
			     __field(u64, latency_ns)
			     __field(u64, device_ns)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->dbc = dbc;
			   __entry->job_id = job_id;
			   __entry->error = error;
			   __entry->latency_ns = latency_ns;
			   __entry->device_ns = device_ns;),
	    TP_printk("dev=%s dbc=%u job_id=%llu error=%d latency_ns=%llu device_ns=%llu",
		      __get_str(dev), __entry->dbc, __entry->job_id,
		      __entry->error, __entry->latency_ns, __entry->device_ns)
);

/* The hard handler took an interrupt of a DBC and masked it. */
TRACE_EVENT(ember_irq,
	    TP_PROTO(const char *dev, u32 dbc),
	    TP_ARGS(dev, dbc),
	    TP_STRUCT__entry(__string(dev, dev)
			     __field(u32, dbc)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->dbc = dbc;),
	    TP_printk("dev=%s dbc=%u", __get_str(dev), __entry->dbc)
);

/*
 * The response ring was checked without an interrupt (last-chance
 * polling, or polling mode) and @responses were consumed.
 */
TRACE_EVENT(ember_poll,
	    TP_PROTO(const char *dev, u32 dbc, u32 responses, u32 inflight),
	    TP_ARGS(dev, dbc, responses, inflight),
	    TP_STRUCT__entry(__string(dev, dev)
			     __field(u32, dbc)
			     __field(u32, responses)
			     __field(u32, inflight)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->dbc = dbc;
			   __entry->responses = responses;
			   __entry->inflight = inflight;),
	    TP_printk("dev=%s dbc=%u responses=%u inflight=%u", __get_str(dev),
		      __entry->dbc, __entry->responses, __entry->inflight)
);

/* A WAIT_BO timed out; the execution stays queued. */
TRACE_EVENT(ember_job_timeout,
	    TP_PROTO(const char *dev, u32 dbc, u64 job_id, u32 timeout_ms),
	    TP_ARGS(dev, dbc, job_id, timeout_ms),
	    TP_STRUCT__entry(__string(dev, dev)
			     __field(u32, dbc)
			     __field(u64, job_id)
			     __field(u32, timeout_ms)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->dbc = dbc;
			   __entry->job_id = job_id;
			   __entry->timeout_ms = timeout_ms;),
	    TP_printk("dev=%s dbc=%u job_id=%llu timeout_ms=%u", __get_str(dev),
		      __entry->dbc, __entry->job_id, __entry->timeout_ms)
);

#endif /* _EMBER_TRACE_H_ */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ember_trace
#include <trace/define_trace.h>
