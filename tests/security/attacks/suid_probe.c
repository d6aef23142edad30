// Planted setuid-root by setuid_reach.sh: says which user it runs as, so the
// test sees whether a host user ran it with root's rights.
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("suid_probe ran: uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
  return 0;
}
