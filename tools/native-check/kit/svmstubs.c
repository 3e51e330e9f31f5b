/* Probe-only stand-ins for SubstrateVM's C helpers, written from the builder's Java interfaces.
   NOT production quality: CPU-feature check is a no-op, locale fixed, no container support. */
#define _GNU_SOURCE
#include <jni.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "svm_locale.h"

int checkCPUFeatures(const char *buildtimeFeatures) { return 0; }
int checkCPUFeaturesOrExit(const char *buildtimeFeatures, const char *errorMessage) { return 0; }
void determineCPUFeatures(void *features) { }
int getThreadId(void) { return (int) syscall(SYS_gettid); }
int fprintfSD(FILE *f, const char *fmt, const char *s, int d) { return fprintf(f, fmt, s, d); }
int openSII(const char *path, int flags, int mode) { return open(path, flags, mode); }
void *mremapP(void *old, size_t oldsz, size_t newsz, int flags, void *newaddr) { return mremap(old, oldsz, newsz, flags, newaddr); }

static svm_locale_props_t props;
int svm_initialize_locale(void) {
  props.display_language = props.format_language = "en";
  props.display_country = props.format_country = "US";
  return SVM_LOCALE_INITIALIZATION_SUCCEEDED;
}
svm_locale_props_t *svm_get_locale(void) { return &props; }

char *findJavaTZ_md(const char *java_home) { return strdup("UTC"); }

int svm_container_initialize(int version) { return 0; /* SUCCESS_IS_NOT_CONTAINERIZED */ }
unsigned long svm_container_physical_memory(void) { return (unsigned long) sysconf(_SC_PHYS_PAGES) * (unsigned long) sysconf(_SC_PAGESIZE); }
int svm_container_active_processor_count(void) { return (int) sysconf(_SC_NPROCESSORS_ONLN); }
long svm_container_memory_limit_in_bytes(void) { return -1; }

/* sun.misc.Signal support */
#define NSIG_MAX 65
static sem_t sig_sem; static volatile int pending[NSIG_MAX];
int cSunMiscSignal_open(void) { return sem_init(&sig_sem, 0, 0); }
int cSunMiscSignal_close(void) { return sem_destroy(&sig_sem); }
int cSunMiscSignal_awaitSemaphore(void) { while (sem_wait(&sig_sem) != 0) {} return 0; }
int cSunMiscSignal_signalSemaphore(void) { return sem_post(&sig_sem); }
int cSunMiscSignal_signalRangeCheck(int s) { return s > 0 && s < NSIG_MAX; }
int cSunMiscSignal_checkPendingSignal(void) {
  for (int i = 1; i < NSIG_MAX; i++) { int n = pending[i]; if (n > 0 && __sync_bool_compare_and_swap(&pending[i], n, n - 1)) return i; }
  return -1; }
static void dispatch(int s) { if (s > 0 && s < NSIG_MAX) { __sync_fetch_and_add(&pending[s], 1); sem_post(&sig_sem); } }
void *cSunMiscSignal_signalHandlerFunctionPointer(void) { return (void *) dispatch; }

/* static-build style JNI_OnLoad_<lib> entry points expected by the image */
#include <dlfcn.h>
static jint forward(const char *lib, JavaVM *vm, void *r) {
  void *h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD); jint (*f)(JavaVM *, void *) = h ? (jint (*)(JavaVM *, void *)) dlsym(h, "JNI_OnLoad") : NULL;
  jint v = f ? f(vm, r) : JNI_VERSION_1_8; return v < 0 ? v : (v < JNI_VERSION_1_8 ? JNI_VERSION_1_8 : v); }
jint JNI_OnLoad_java(JavaVM *vm, void *r) { return forward("libjava.so", vm, r); }
jint JNI_OnLoad_net(JavaVM *vm, void *r) { return forward("libnet.so", vm, r); }
jint JNI_OnLoad_nio(JavaVM *vm, void *r) { return forward("libnio.so", vm, r); }
jint JNI_OnLoad_zip(JavaVM *vm, void *r) { return forward("libzip.so", vm, r); }
jint JNI_OnLoad_extnet(JavaVM *vm, void *r) { return forward("libextnet.so", vm, r); }
/* Kafka clients reach JAAS (SASL): libjaas.so has no JNI_OnLoad of its own, so this one only says the JNI version */
jint JNI_OnLoad_jaas(JavaVM *vm, void *r) { return forward("libjaas.so", vm, r); }
