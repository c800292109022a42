#include "heapconv_signal_guard.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

enum { SLOT_FREE = 0, SLOT_WRITING = 1, SLOT_COMMITTING = 2 };
enum { SLOTS = 8 };

static const int guarded[] = {SIGINT, SIGTERM, SIGHUP};
#define GUARDED_COUNT (sizeof guarded / sizeof guarded[0])

/// A slot's path is written only while its state is free, and read by the handler only while it is writing.
static volatile sig_atomic_t slot_state[SLOTS];
static char slot_path[SLOTS][PATH_MAX + 1];
static volatile sig_atomic_t committed_any = 0;

/// Serialises arm, disarm, commit and restore between threads (never taken by the handler).
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction previous[GUARDED_COUNT];
static int installed[GUARDED_COUNT];
static int attempted = 0;

static void on_signal(int received) {
    int writing = 0;
    int committing = 0;
    for (int i = 0; i < SLOTS; i++) {
        if (slot_state[i] == SLOT_WRITING) {
            unlink(slot_path[i]);
            writing = 1;
        } else if (slot_state[i] == SLOT_COMMITTING) {
            committing = 1;
        }
    }
    if (!writing && (committing || committed_any)) return;
    signal(received, SIG_DFL);
    raise(received);
}

static void guarded_set(sigset_t *set) {
    sigemptyset(set);
    for (size_t i = 0; i < GUARDED_COUNT; i++) sigaddset(set, guarded[i]);
}

/// Installs the handlers once; called with `lock` held.
static void install(void) {
    if (attempted) return;
    attempted = 1;
    sigset_t unblock;
    sigemptyset(&unblock);
    for (size_t i = 0; i < GUARDED_COUNT; i++) {
        struct sigaction old;
        if (sigaction(guarded[i], NULL, &old) != 0) continue;
        // Ignored by the parent (nohup, trap ''): the user asked for the conversion to survive it.
        if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        if (sigaction(guarded[i], &action, &previous[i]) == 0) {
            installed[i] = 1;
            // A parent may have blocked it; a conversion must still be stoppable and clean up.
            sigaddset(&unblock, guarded[i]);
        }
    }
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
}

int heapconv_guard_arm(const char *path) {
    size_t length = strlen(path);
    if (length > PATH_MAX) return -1;
    pthread_mutex_lock(&lock);
    install();
    int slot = -1;
    for (int i = 0; i < SLOTS; i++) {
        if (slot_state[i] == SLOT_FREE) {
            memcpy(slot_path[i], path, length + 1);
            slot_state[i] = SLOT_WRITING;
            slot = i;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return slot;
}

void heapconv_guard_disarm(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    pthread_mutex_lock(&lock);
    slot_state[slot] = SLOT_FREE;
    pthread_mutex_unlock(&lock);
}

void heapconv_guard_begin_commit(int slot) {
    sigset_t set;
    guarded_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (slot < 0 || slot >= SLOTS) return;
    pthread_mutex_lock(&lock);
    slot_state[slot] = SLOT_COMMITTING;
    pthread_mutex_unlock(&lock);
}

void heapconv_guard_end_commit(int slot, int succeeded) {
    pthread_mutex_lock(&lock);
    if (succeeded) committed_any = 1;
    if (slot >= 0 && slot < SLOTS) slot_state[slot] = succeeded ? SLOT_FREE : SLOT_WRITING;
    pthread_mutex_unlock(&lock);
    sigset_t set;
    guarded_set(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void heapconv_guard_restore(void) {
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < GUARDED_COUNT; i++) {
        if (installed[i]) sigaction(guarded[i], &previous[i], NULL);
        installed[i] = 0;
    }
    attempted = 0;
    committed_any = 0;
    pthread_mutex_unlock(&lock);
}

int heapconv_guard_handles(int signal) {
    for (size_t i = 0; i < GUARDED_COUNT; i++) {
        if (guarded[i] == signal) return installed[i];
    }
    return 0;
}
