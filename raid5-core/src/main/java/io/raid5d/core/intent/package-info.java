/**
 * The seam between the stripe engine and the write-intent bitmap: {@link io.raid5d.core.intent.WriteIntentLog}
 * and its stand-ins ({@code AlwaysWrittenLog} over the conservative bitmap; {@code testing.RecordingWriteIntentLog}
 * for tests).
 */
package io.raid5d.core.intent;
