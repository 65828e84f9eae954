// lp_probe: system calls busybox cannot make, for the vm_patchbuild_* tests.
// Built on the host with `gcc -static` and staged into the initramfs.
//   lp_probe umask MASK     raw umask(MASK) (octal): prints "umask(0MASK) = 0OLD" or "= -ERRNO"
//   lp_probe umask32 MASK   the same through int $0x80 (the 32-bit syscall table)
//   lp_probe badwrite PATH  write(2) to PATH from an unmapped user address:
//                           prints "badwrite PATH = R" or "= -ERRNO"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int Umask(const char* arg) {
  const long mask = strtol(arg, NULL, 8);
  const long r = syscall(SYS_umask, mask);
  if (r < 0)
    printf("umask(0%lo) = -%d\n", (unsigned long)mask, errno);
  else
    printf("umask(0%lo) = 0%lo\n", (unsigned long)mask, (unsigned long)r);
  return 0;
}

// umask is number 60 in the i386 table; int $0x80 from a 64-bit task enters
// it (IA32_EMULATION), so this reaches __ia32_sys_umask.
static int Umask32(const char* arg) {
  const long mask = strtol(arg, NULL, 8);
  long r = 60;
  __asm__ volatile("int $0x80" : "+a"(r) : "b"(mask) : "memory", "r8", "r9", "r10", "r11");
  if (r < 0)
    printf("umask32(0%lo) = -%ld\n", (unsigned long)mask, -r);
  else
    printf("umask32(0%lo) = 0%lo\n", (unsigned long)mask, (unsigned long)r);
  return 0;
}

static int BadWrite(const char* path) {
  const int fd = open(path, O_WRONLY);
  if (fd < 0) {
    printf("badwrite %s: open: %s\n", path, strerror(errno));
    return 1;
  }
  // A page that was mapped and is not any more: a user address the kernel
  // accepts (access_ok) but faults on.
  void* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED || munmap(page, 4096) != 0) {
    printf("badwrite %s: mmap: %s\n", path, strerror(errno));
    return 1;
  }
  const ssize_t r = write(fd, page, 4);
  printf("badwrite %s = %ld\n", path, r < 0 ? -(long)errno : (long)r);
  close(fd);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "umask") == 0) return Umask(argv[2]);
  if (argc == 3 && strcmp(argv[1], "umask32") == 0) return Umask32(argv[2]);
  if (argc == 3 && strcmp(argv[1], "badwrite") == 0) return BadWrite(argv[2]);
  fprintf(stderr, "usage: lp_probe umask MASK | umask32 MASK | badwrite PATH\n");
  return 2;
}
