// Follows hirebridge's events with a durable JetStream consumer, typed by
// src/events.ts, which gen-types.mjs generates from the published schemas.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { HirempireEvent } from "./events.js";

const env = process.env;
const stream = env.HIREBRIDGE_NATS_STREAM || "HIREMPIRE";
const prefix = env.HIREBRIDGE_TOPIC_PREFIX || "hirempire";
const durable = env.CONSUMER_NAME || "example-ts";
const [server, from] = natsServer();

try {
  await follow();
} catch (err) {
  // One line for people, not a stack trace.
  console.error(`consume-ts: ${explain(err)}`);
  process.exit(1);
}

// natsServer is the server's URL and where it came from: NATS_URL, else
// found as `hirebridge tail` finds it: HIREBRIDGE_NATS_URL, else the URL
// hirebridge's embedded server (on a free port when 4222 is taken)
// recorded in its data directory, else the default.
function natsServer(): [string, string] {
  for (const name of ["NATS_URL", "HIREBRIDGE_NATS_URL"]) {
    const url = env[name];
    if (url) return [url, name];
  }
  const file = join(env.HIREBRIDGE_DATA_DIR || "data", "embedded-nats.url");
  try {
    const url = readFileSync(file, "utf8").trim();
    if (url) return [url, `recorded in ${file}`];
  } catch {
    // Not recorded: no embedded server runs with that data directory.
  }
  return ["nats://127.0.0.1:4222", `the default; no NATS_URL, HIREBRIDGE_NATS_URL or ${file}`];
}

// explain makes an error one line for people.
function explain(err: unknown): string {
  if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
    return `stream ${stream} not found on ${server} (${from}): is hirebridge running with the same HIREBRIDGE_NATS_STREAM?`;
  }
  if (err instanceof Error && err.name === "JetStreamNotEnabled") {
    return `${server} (${from}) has no JetStream: is it hirebridge's server?`;
  }
  return err instanceof Error ? err.message : String(err);
}

async function follow(): Promise<void> {
  const nc = await connect({ servers: server.split(",") }).catch((err: Error) => {
    throw new Error(`cannot connect to ${server} (${from}): ${err.message}`);
  });
  await (await jetstreamManager(nc)).consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    filter_subject: `${prefix}.>`,
  });
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  console.error(`consume-ts: following stream ${stream} (${prefix}.>) on ${server} (${from}) as ${durable}; Ctrl-C stops`);

  // ce-ids handled: JetStream drops a re-sent event only within the
  // stream's duplicate window. A service that must act once keeps them
  // with what it did, in one transaction.
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
