/*
 * tcpflags.h - the flag bits of the TCP header's 13th octet (RFC 9293
 * 3.1; ECE and CWR RFC 3168 6.1): what access lists match (config.h)
 * and what segmentation and coalescing keep or clear (offload.c).
 */
#ifndef L2TPNS_TCPFLAGS_H
#define L2TPNS_TCPFLAGS_H

#define TCP_FIN	0x01
#define TCP_SYN	0x02
#define TCP_RST	0x04
#define TCP_PSH	0x08
#define TCP_ACK	0x10
#define TCP_URG	0x20
#define TCP_ECE	0x40
#define TCP_CWR	0x80

#endif
