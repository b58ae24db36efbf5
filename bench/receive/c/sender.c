/* Paced frame sender for BENCHMARKS.md #2: sendmmsg batches, or PACKET_TX_RING.
 * usage: sender <ifname> <mode: mmsg|ring> <rate fps, 0 = max> <seconds> <frame_len> <dst mac hex12>
 * Prints one JSON line: frames sent, seconds, rate. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 7) { fprintf(stderr, "usage\n"); return 2; }
  int ring_mode = strcmp(argv[2], "ring") == 0;
  double rate = atof(argv[3]), secs = atof(argv[4]);
  int len = atoi(argv[5]);
  uint8_t frame[2048] = {0};
  for (int i = 0; i < 6; i++) sscanf(argv[6] + 2 * i, "%2hhx", &frame[i]);
  frame[6] = 0x02; frame[11] = 0x01; frame[12] = 0x88; frame[13] = 0xb5;
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) { perror("socket"); return 1; }
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET; sll.sll_protocol = 0; sll.sll_ifindex = if_nametoindex(argv[1]);
  uint8_t *ring = NULL;
  unsigned fs = 2048, fn = 4096, cur = 0;
  if (ring_mode) {
    int v = TPACKET_V2;
    setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v);
    struct tpacket_req req = {.tp_block_size = 1 << 20, .tp_block_nr = 8, .tp_frame_size = fs, .tp_frame_nr = fn};
    if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0) { perror("tx ring"); return 1; }
    ring = mmap(NULL, (size_t)fs * fn, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED) { perror("mmap"); return 1; }
  }
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("bind"); return 1; }
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint8_t bufs[BATCH][2048];
  for (int i = 0; i < BATCH; i++) {
    memcpy(bufs[i], frame, sizeof frame);
    iov[i].iov_base = bufs[i]; iov[i].iov_len = len;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uint64_t sent = 0, start = now_ns(), end = start + (uint64_t)(secs * 1e9), seq = 0;
  for (;;) {
    uint64_t t = now_ns();
    if (t >= end) break;
    if (rate > 0) {
      uint64_t due = (uint64_t)((double)(t - start) * rate / 1e9);
      if (sent + BATCH > due) {
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
        continue;
      }
    }
    if (ring_mode) {
      int queued = 0;
      for (int i = 0; i < BATCH; i++) {
        struct tpacket2_hdr *h = (void *)(ring + (size_t)cur * fs);
        if (h->tp_status != TP_STATUS_AVAILABLE) break;
        uint8_t *data = (uint8_t *)h + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
        memcpy(data, frame, len);
        memcpy(data + 14, &seq, 8); seq++;
        h->tp_len = len;
        __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
        cur = (cur + 1) % fn;
        queued++;
      }
      if (send(fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS) { perror("send"); return 1; }
      sent += queued;
    } else {
      for (int i = 0; i < BATCH; i++) { memcpy(bufs[i] + 14, &seq, 8); seq++; }
      int r = sendmmsg(fd, msgs, BATCH, 0);
      if (r > 0) sent += r;
      else if (errno != EAGAIN && errno != ENOBUFS) { perror("sendmmsg"); return 1; }
    }
  }
  double took = (now_ns() - start) / 1e9;
  printf("{\"frames\":%llu,\"seconds\":%.6f,\"rate\":%.1f}\n", (unsigned long long)sent, took, sent / took);
  return 0;
}
