// Follows hirebridge's events with a durable JetStream consumer, typed by
// src/events.ts, which gen-types.mjs generates from the published schemas.
import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { HirempireEvent } from "./events.js";

const stream = process.env.HIREBRIDGE_NATS_STREAM ?? "HIREMPIRE";
const prefix = process.env.HIREBRIDGE_TOPIC_PREFIX ?? "hirempire";
const nc = await connect({ servers: process.env.NATS_URL ?? "127.0.0.1:4222" });
await (await jetstreamManager(nc)).consumers.add(stream, {
  durable_name: "billing",
  ack_policy: AckPolicy.Explicit,
  filter_subject: `${prefix}.>`,
});
const consumer = await jetstream(nc).consumers.get(stream, "billing");

// ce-ids handled: JetStream drops a re-sent event only within the stream's
// duplicate window. A service that must act once keeps them with what it
// did, in one transaction.
const done = new Set<string>();
for await (const m of await consumer.consume()) {
  const id = m.headers?.get("ce-id") ?? "";
  // Dead letters (<prefix>.dlq) are rejected bodies without ce- headers;
  // undocumented types are marked hirebridge-validated: false.
  const ours = m.subject !== `${prefix}.dlq` && m.headers?.get("hirebridge-validated") !== "false";
  if (ours && !done.has(id)) {
    handle(m.json<HirempireEvent>());
    done.add(id);
  }
  m.ack();
}

function handle(ev: HirempireEvent): void {
  switch (ev.event) {
    case "job_added":
    case "job_activated":
    case "job_deactivated":
    case "job_deleted":
      console.log(ev.event, ev.job.id, ev.job.title);
      break;
    case "applicant_applied":
    case "cv_upload_completed":
      console.log(ev.event, ev.applicant.id, ev.applicant.name, "for", ev.job.id);
      break;
    case "meeting_booked":
      console.log(ev.event, ev.meeting.id, ev.meeting.duration_minutes, "min");
      break;
    default:
      // A type added to the schemas fails the build here until handled.
      ev satisfies never;
  }
}
