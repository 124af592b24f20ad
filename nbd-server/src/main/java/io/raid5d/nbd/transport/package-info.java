/**
 * Which socket transport the server runs on (epoll, io_uring, NIO) and how it is chosen.
 * Nothing else in the server depends on the choice: handlers see only Netty's channel API.
 */
package io.raid5d.nbd.transport;
