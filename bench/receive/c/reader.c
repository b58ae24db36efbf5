/* The ceiling for BENCHMARKS.md #2: a TPACKET_V3 ring reader in C with the same geometry
 * and the same per-frame work as the Node reader (read tp_snaplen and the first byte).
 * usage: reader <ifname> <block_size> <block_count> <idle_ms> <max_ms>
 * Prints "ready" once bound, then one JSON line when the stream has stopped for idle_ms. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
         (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

int main(int argc, char **argv) {
  if (argc != 6) { fprintf(stderr, "usage: reader if block_size block_count idle_ms max_ms\n"); return 2; }
  unsigned bs = atoi(argv[2]), bn = atoi(argv[3]);
  uint64_t idle = (uint64_t)atoi(argv[4]) * 1000000ull, maxw = (uint64_t)atoi(argv[5]) * 1000000ull;
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) { perror("socket"); return 1; }
  int v = TPACKET_V3;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) { perror("version"); return 1; }
  struct tpacket_req3 req = {0};
  req.tp_block_size = bs; req.tp_block_nr = bn; req.tp_frame_size = 2048;
  req.tp_frame_nr = bs / 2048 * bn; req.tp_retire_blk_tov = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) { perror("ring"); return 1; }
  uint8_t *ring = mmap(NULL, (size_t)bs * bn, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (ring == MAP_FAILED) { perror("mmap"); return 1; }
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET; sll.sll_protocol = htons(ETH_P_ALL); sll.sll_ifindex = if_nametoindex(argv[1]);
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("bind"); return 1; }
  struct packet_mreq mr = {0};
  mr.mr_ifindex = sll.sll_ifindex; mr.mr_type = PACKET_MR_PROMISC;
  setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr);
  printf("ready\n");
  fflush(stdout);
  uint64_t frames = 0, bytes = 0, sink = 0, first = 0, last = 0, cpu0 = 0, start = now_ns();
  unsigned cur = 0;
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  for (;;) {
    struct tpacket_block_desc *bd = (void *)(ring + (size_t)cur * bs);
    if (!(bd->hdr.bh1.block_status & TP_STATUS_USER)) {
      uint64_t t = now_ns();
      if (first && t - last > idle) break;
      if (!first && t - start > maxw) break;
      poll(&pfd, 1, 20);
      continue;
    }
    if (!first) { first = now_ns(); cpu0 = cpu_ns(); }
    uint32_t n = bd->hdr.bh1.num_pkts;
    struct tpacket3_hdr *h = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
    for (uint32_t i = 0; i < n; i++) {
      struct sockaddr_ll *s = (void *)((uint8_t *)h + TPACKET_ALIGN(sizeof *h));
      if (s->sll_pkttype != PACKET_OUTGOING) {
        frames++;
        bytes += h->tp_snaplen;
        sink += ((uint8_t *)h)[h->tp_mac];
      }
      h = (void *)((uint8_t *)h + h->tp_next_offset);
    }
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    cur = (cur + 1) % bn;
    last = now_ns();
  }
  uint64_t cpu1 = cpu_ns();
  struct tpacket_stats_v3 st = {0};
  socklen_t sl = sizeof st;
  getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
  printf("{\"frames\":%llu,\"bytes\":%llu,\"cpuNs\":%llu,\"wallNs\":%llu,\"kernelPackets\":%u,\"kernelDrops\":%u,\"sink\":%llu}\n",
         (unsigned long long)frames, (unsigned long long)bytes, (unsigned long long)(first ? cpu1 - cpu0 : 0),
         (unsigned long long)(first ? last - first : 0), st.tp_packets, st.tp_drops, (unsigned long long)sink);
  return 0;
}
