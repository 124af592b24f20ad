package io.raid5d.core.array;

import io.raid5d.core.geometry.Geometry;
import io.raid5d.core.member.MemberSet;
import io.raid5d.core.resync.ParityResync;
import io.raid5d.core.stripe.StripeEngine;

/**
 * A running array's parts in one geometry: the members, their superblocks, the stripe engine and
 * what drives it. {@link Raid5Array} makes them; {@link ArrayReshape} replaces them when a grow
 * starts or the size changes (a grow's old engine lives on in {@link Growth} until it ends).
 */
record ArrayParts(MemberSet members, Geometry geometry, ArrayMetadata metadata, StripeEngine engine,
                  ParityResync resync, BitmapControl bitmap, RecoverySweeps sweeps, MemberOperations memberOps,
                  FailureRecorder recorder) {
}
