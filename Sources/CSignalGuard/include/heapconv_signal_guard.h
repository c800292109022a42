#ifndef HEAPCONV_SIGNAL_GUARD_H
#define HEAPCONV_SIGNAL_GUARD_H

/// Removes pending temporary outputs when SIGINT, SIGTERM or SIGHUP arrives, then dies of that signal.
///
/// Written in C because a signal handler may only read `volatile sig_atomic_t` state and call
/// async-signal-safe functions (unlink, signal, raise), which Swift cannot promise.
///
/// Each output being written holds a slot: writing (its temporary file is removed on a signal), committing
/// (being renamed into place: left alone) or free. A signal that finds no slot writing, after an output was
/// committed, is swallowed: the conversion has succeeded and the process exits normally. A signal the
/// parent set to be ignored (`nohup`, `trap '' HUP`) stays ignored: no handler is installed for it.
/// Up to 8 outputs at once are guarded (one per conversion running in the process); more get no cleanup.

/// Guards the temporary file `path` (copied; at most PATH_MAX bytes). Installs the handlers the first time.
/// Returns the slot to pass to the other calls, or -1 when none is free or the path is too long.
int heapconv_guard_arm(const char *path);

/// Frees `slot` (the caller removed or renamed its file). Does nothing for -1.
void heapconv_guard_disarm(int slot);

/// Blocks the guarded signals in the calling thread and marks `slot` as committing, before the final rename.
void heapconv_guard_begin_commit(int slot);

/// Ends the commit of `slot`. With `succeeded` the slot is freed and the process counts as having committed
/// an output; otherwise the slot goes back to writing (its file still exists). Unblocks the signals: one that
/// arrived during the commit is delivered now and handled by the rules above.
void heapconv_guard_end_commit(int slot, int succeeded);

/// Puts back the dispositions the process had before the guard installed its handlers and forgets every
/// commit (for programs that run conversions and want their own signal handling back).
void heapconv_guard_restore(void);

/// Whether a handler is installed for `signal` (for tests).
int heapconv_guard_handles(int signal);

#endif
