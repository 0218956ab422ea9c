{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "hirebridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, unless the release already carries the chart name. */}}
{{- define "hirebridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "hirebridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hirebridge.labels" -}}
helm.sh/chart: {{ include "hirebridge.chart" . }}
{{ include "hirebridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "hirebridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hirebridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hirebridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hirebridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hirebridge.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Where secrets and TLS material are mounted in the container. */}}
{{- define "hirebridge.secretDir" -}}/var/run/secrets/hirebridge{{- end }}
{{- define "hirebridge.sourcesDir" -}}/var/run/secrets/hirebridge-sources{{- end }}
{{- define "hirebridge.adminTokenDir" -}}/var/run/secrets/hirebridge-admin{{- end }}
{{- define "hirebridge.natsTLSDir" -}}/var/run/secrets/hirebridge-nats-tls{{- end }}
{{- define "hirebridge.kafkaTLSDir" -}}/var/run/secrets/hirebridge-kafka-tls{{- end }}
{{- define "hirebridge.spoolDir" -}}/spool{{- end }}

{{- define "hirebridge.secretName" -}}
{{- default (include "hirebridge.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/*
The keys the mounted Secret holds, as a YAML map from the logical name to the
key. The chart's own Secret holds a key for each value that is set (and always
the webhook token); an existing Secret holds those named in existingSecretKeys.
*/}}
{{- define "hirebridge.secretKeys" -}}
{{- $s := .Values.secrets }}
{{- $keys := dict }}
{{- if $s.existingSecret }}
{{- range $name, $key := $s.existingSecretKeys }}
{{- if $key }}{{- $_ := set $keys $name $key }}{{- end }}
{{- end }}
{{- else }}
{{- $_ := set $keys "webhookToken" "webhook-token" }}
{{- $own := dict "natsPassword" "nats-password" "natsToken" "nats-token" "natsCreds" "nats.creds" "natsNkeySeed" "nats.nk" "kafkaSaslPassword" "kafka-sasl-password" }}
{{- range $name, $key := $own }}
{{- if index $s $name }}{{- $_ := set $keys $name $key }}{{- end }}
{{- end }}
{{- end }}
{{- toYaml $keys }}
{{- end }}

{{/*
Every HIREBRIDGE_* variable the ConfigMap carries. Empty values are left out
so the binary's own defaults apply. Secrets appear only as *_FILE paths.
*/}}
{{- define "hirebridge.env" -}}
{{- $c := .Values.config }}
{{- $env := dict
  "HIREBRIDGE_HTTP_ADDR" (printf ":%d" (int .Values.containerPorts.http))
  "HIREBRIDGE_ADMIN_ADDR" (printf ":%d" (int .Values.containerPorts.admin))
  "HIREBRIDGE_WEBHOOK_PATH" $c.webhookPath
  "HIREBRIDGE_MAX_BODY_BYTES" (toString (int64 $c.maxBodyBytes))
  "HIREBRIDGE_MAX_CONCURRENT_REQUESTS" (toString (int64 $c.maxConcurrentRequests))
  "HIREBRIDGE_MAX_CONNECTIONS" (toString (int64 $c.maxConnections))
  "HIREBRIDGE_REQUEST_MEMORY_BYTES" (toString (int64 $c.requestMemoryBytes))
  "HIREBRIDGE_STRICT" (toString $c.strict)
  "HIREBRIDGE_MAX_UNDOCUMENTED_TYPES" (toString (int64 $c.maxUndocumentedTypes))
  "HIREBRIDGE_SINK" $c.sink
  "HIREBRIDGE_TOPIC_PREFIX" $c.topicPrefix
  "HIREBRIDGE_EVENT_SOURCE" $c.eventSource
  "HIREBRIDGE_DATA_DIR" "/data"
  "HIREBRIDGE_PUBLISH_TIMEOUT" $c.publishTimeout
  "HIREBRIDGE_RETRY_AFTER" $c.retryAfter
  "HIREBRIDGE_READ_HEADER_TIMEOUT" $c.readHeaderTimeout
  "HIREBRIDGE_READ_TIMEOUT" $c.readTimeout
  "HIREBRIDGE_IDLE_TIMEOUT" $c.idleTimeout
  "HIREBRIDGE_SHUTDOWN_DELAY" (printf "%ds" (int $c.shutdownDelaySeconds))
  "HIREBRIDGE_SHUTDOWN_TIMEOUT" (printf "%ds" (int $c.shutdownTimeoutSeconds))
  "HIREBRIDGE_SINK_CLOSE_TIMEOUT" (printf "%ds" (int $c.sinkCloseTimeoutSeconds))
  "HIREBRIDGE_LOG_LEVEL" $c.logLevel
  "HIREBRIDGE_LOG_FORMAT" $c.logFormat
  "HIREBRIDGE_PPROF" (toString $c.pprof)
  "HIREBRIDGE_SPOOL" (toString .Values.spool.enabled)
}}
{{- if .Values.spool.enabled }}
{{- $_ := set $env "HIREBRIDGE_SPOOL_DIR" (include "hirebridge.spoolDir" .) }}
{{- $_ := set $env "HIREBRIDGE_SPOOL_MAX_BYTES" (toString (int64 .Values.spool.maxBytes)) }}
{{- $_ := set $env "HIREBRIDGE_SPOOL_AFTER" .Values.spool.after }}
{{- end }}
{{- $keys := include "hirebridge.secretKeys" . | fromYaml }}
{{- $dir := include "hirebridge.secretDir" . }}
{{- if .Values.sources.existingSecret }}
{{- /* The sources file lists the tokens; the service refuses both. */}}
{{- $_ := set $env "HIREBRIDGE_SOURCES_FILE" (printf "%s/%s" (include "hirebridge.sourcesDir" .) .Values.sources.key) }}
{{- else if $keys.webhookToken }}
{{- $_ := set $env "HIREBRIDGE_WEBHOOK_TOKEN_FILE" (printf "%s/%s" $dir $keys.webhookToken) }}
{{- end }}
{{- with .Values.console.adminToken.existingSecret }}
{{- $_ := set $env "HIREBRIDGE_ADMIN_TOKEN_FILE" (printf "%s/%s" (include "hirebridge.adminTokenDir" $) $.Values.console.adminToken.key) }}
{{- end }}
{{- if eq $c.sink "nats" }}
{{- $n := $c.nats }}
{{- $_ := set $env "HIREBRIDGE_NATS_URL" $n.url }}
{{- $_ := set $env "HIREBRIDGE_NATS_EMBEDDED_ADDR" $n.embeddedAddr }}
{{- $_ := set $env "HIREBRIDGE_NATS_STREAM" $n.stream }}
{{- $_ := set $env "HIREBRIDGE_NATS_STREAM_REPLICAS" (toString (int $n.streamReplicas)) }}
{{- $_ := set $env "HIREBRIDGE_NATS_STREAM_MAX_AGE" $n.streamMaxAge }}
{{- $_ := set $env "HIREBRIDGE_NATS_STREAM_MAX_BYTES" (toString (int64 $n.streamMaxBytes)) }}
{{- $_ := set $env "HIREBRIDGE_NATS_DUPLICATE_WINDOW" $n.duplicateWindow }}
{{- $_ := set $env "HIREBRIDGE_NATS_DEDUP_WINDOW_SIZE" (toString (int64 $n.dedupWindowSize)) }}
{{- $_ := set $env "HIREBRIDGE_NATS_DEDUP_WINDOW_AGE" $n.dedupWindowAge }}
{{- $_ := set $env "HIREBRIDGE_NATS_MAX_PENDING" (toString (int $n.maxPending)) }}
{{- $_ := set $env "HIREBRIDGE_NATS_RECONNECT_WAIT" $n.reconnectWait }}
{{- $_ := set $env "HIREBRIDGE_NATS_USER" $n.user }}
{{- if $keys.natsPassword }}{{- $_ := set $env "HIREBRIDGE_NATS_PASSWORD_FILE" (printf "%s/%s" $dir $keys.natsPassword) }}{{- end }}
{{- if $keys.natsToken }}{{- $_ := set $env "HIREBRIDGE_NATS_TOKEN_FILE" (printf "%s/%s" $dir $keys.natsToken) }}{{- end }}
{{- if $keys.natsCreds }}{{- $_ := set $env "HIREBRIDGE_NATS_CREDS_FILE" (printf "%s/%s" $dir $keys.natsCreds) }}{{- end }}
{{- if $keys.natsNkeySeed }}{{- $_ := set $env "HIREBRIDGE_NATS_NKEY_SEED_FILE" (printf "%s/%s" $dir $keys.natsNkeySeed) }}{{- end }}
{{- if $n.tls.enabled }}
{{- $tdir := include "hirebridge.natsTLSDir" . }}
{{- if $n.tls.caKey }}{{- $_ := set $env "HIREBRIDGE_NATS_TLS_CA_FILE" (printf "%s/%s" $tdir $n.tls.caKey) }}{{- end }}
{{- if $n.tls.certKey }}{{- $_ := set $env "HIREBRIDGE_NATS_TLS_CERT_FILE" (printf "%s/%s" $tdir $n.tls.certKey) }}{{- end }}
{{- if $n.tls.keyKey }}{{- $_ := set $env "HIREBRIDGE_NATS_TLS_KEY_FILE" (printf "%s/%s" $tdir $n.tls.keyKey) }}{{- end }}
{{- end }}
{{- else if eq $c.sink "kafka" }}
{{- $k := $c.kafka }}
{{- $_ := set $env "HIREBRIDGE_KAFKA_BROKERS" $k.brokers }}
{{- $_ := set $env "HIREBRIDGE_KAFKA_CLIENT_ID" $k.clientId }}
{{- $_ := set $env "HIREBRIDGE_KAFKA_PARTITIONS" (toString (int $k.partitions)) }}
{{- $_ := set $env "HIREBRIDGE_KAFKA_CREATE_TOPICS" (toString $k.createTopics) }}
{{- if $k.replicationFactor }}{{- $_ := set $env "HIREBRIDGE_KAFKA_REPLICATION_FACTOR" (toString (int $k.replicationFactor)) }}{{- end }}
{{- $_ := set $env "HIREBRIDGE_KAFKA_COMPRESSION" $k.compression }}
{{- $_ := set $env "HIREBRIDGE_KAFKA_SASL_MECHANISM" $k.saslMechanism }}
{{- $_ := set $env "HIREBRIDGE_KAFKA_SASL_USERNAME" $k.saslUsername }}
{{- if $keys.kafkaSaslPassword }}{{- $_ := set $env "HIREBRIDGE_KAFKA_SASL_PASSWORD_FILE" (printf "%s/%s" $dir $keys.kafkaSaslPassword) }}{{- end }}
{{- $_ := set $env "HIREBRIDGE_KAFKA_DEDUP_WINDOW_SIZE" (toString (int64 $k.dedupWindowSize)) }}
{{- $_ := set $env "HIREBRIDGE_KAFKA_DEDUP_WINDOW_AGE" $k.dedupWindowAge }}
{{- $_ := set $env "HIREBRIDGE_KAFKA_TLS" (toString $k.tls.enabled) }}
{{- if and $k.tls.enabled $k.tls.secretName }}
{{- $tdir := include "hirebridge.kafkaTLSDir" . }}
{{- if $k.tls.caKey }}{{- $_ := set $env "HIREBRIDGE_KAFKA_TLS_CA_FILE" (printf "%s/%s" $tdir $k.tls.caKey) }}{{- end }}
{{- if $k.tls.certKey }}{{- $_ := set $env "HIREBRIDGE_KAFKA_TLS_CERT_FILE" (printf "%s/%s" $tdir $k.tls.certKey) }}{{- end }}
{{- if $k.tls.keyKey }}{{- $_ := set $env "HIREBRIDGE_KAFKA_TLS_KEY_FILE" (printf "%s/%s" $tdir $k.tls.keyKey) }}{{- end }}
{{- end }}
{{- end }}
{{- range $name, $value := $env }}
{{- if ne (toString $value) "" }}
{{ $name }}: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Refuses settings that would render but not run. */}}
{{- define "hirebridge.validate" -}}
{{- $c := .Values.config }}
{{- if and (eq $c.sink "kafka") (not $c.kafka.brokers) }}
{{- fail "config.kafka.brokers is required when config.sink is kafka" }}
{{- end }}
{{- if and (eq $c.sink "nats") (not $c.nats.url) (or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1)) }}
{{- fail "config.nats.url is empty, so each pod would run its own embedded NATS server: set replicaCount to 1 (and autoscaling.enabled to false) or point config.nats.url at a NATS server" }}
{{- end }}
{{- if .Values.spool.enabled }}
{{- if and (eq $c.sink "nats") (not $c.nats.url) }}
{{- fail "spool.enabled needs an external broker: with config.nats.url empty the embedded NATS server runs in the pod and stores on its volume, so there is nothing for a spool to outlast; set config.nats.url or use Kafka" }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- fail "spool.enabled and autoscaling.enabled together: each pod has its own spool, and a pod the autoscaler removes while the broker is away would leave its events on its volume until a pod of that ordinal runs again (or a drain Job forwards them); scale the StatefulSet by hand (replicaCount), see NOTES" }}
{{- end }}
{{- $size := include "hirebridge.quantityBytes" (dict "quantity" .Values.spool.size "name" "spool.size") | int64 }}
{{- if lt $size (mul 3 (int64 .Values.spool.maxBytes)) }}
{{- fail (printf "spool.size (%s) must be at least 3 times spool.maxBytes (%d bytes): the store's pages take about 2.25 times what spool.maxBytes counts for 2 KB events, and its file grows in steps" (toString .Values.spool.size) (int64 .Values.spool.maxBytes)) }}
{{- end }}
{{- end }}
{{- if lt (int64 $c.requestMemoryBytes) (mul 4 (int64 $c.maxBodyBytes)) }}
{{- fail (printf "config.requestMemoryBytes (%d) must be at least 4 times config.maxBodyBytes (%d), or bodies near the limit could never be served" (int64 $c.requestMemoryBytes) (mul 4 (int64 $c.maxBodyBytes))) }}
{{- end }}
{{- if and .Values.secrets.existingSecret (not .Values.secrets.existingSecretKeys.webhookToken) (not .Values.sources.existingSecret) }}
{{- fail "secrets.existingSecretKeys.webhookToken must name the key of the webhook token in secrets.existingSecret" }}
{{- end }}
{{- if and (eq $c.sink "kafka") $c.kafka.saslMechanism (not $c.kafka.saslUsername) }}
{{- fail "config.kafka.saslUsername is required with config.kafka.saslMechanism" }}
{{- end }}
{{- if and $c.nats.tls.enabled (eq $c.sink "nats") (not $c.nats.tls.secretName) }}
{{- fail "config.nats.tls.secretName is required when config.nats.tls.enabled is true" }}
{{- end }}
{{- if ne (empty $c.nats.tls.certKey) (empty $c.nats.tls.keyKey) }}
{{- fail "config.nats.tls.certKey and config.nats.tls.keyKey are set together" }}
{{- end }}
{{- if ne (empty $c.kafka.tls.certKey) (empty $c.kafka.tls.keyKey) }}
{{- fail "config.kafka.tls.certKey and config.kafka.tls.keyKey are set together" }}
{{- end }}
{{- include "hirebridge.validateDisruptionBudget" . }}
{{- $minGrace := include "hirebridge.shutdownSeconds" . | int }}
{{- if and .Values.terminationGracePeriodSeconds (le (int .Values.terminationGracePeriodSeconds) $minGrace) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed config.shutdownDelaySeconds + config.shutdownTimeoutSeconds + config.sinkCloseTimeoutSeconds (%d), or the kubelet kills pods mid-shutdown" (int .Values.terminationGracePeriodSeconds) $minGrace) }}
{{- end }}
{{- range .Values.extraEnv }}
{{- if and (regexMatch "(?i)(PASSWORD|TOKEN|SECRET|SEED|CREDENTIAL)" .name) (not (hasSuffix "_FILE" .name)) (hasKey . "value") }}
{{- fail (printf "extraEnv %s looks like a secret: give it with valueFrom.secretKeyRef, not value" .name) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Refuses a PodDisruptionBudget that would block every voluntary eviction,
and with it every node drain, for good: maxUnavailable 0, or minAvailable
at least the pods there are (autoscaling.minReplicas with an autoscaler,
which may scale down to it). Kubernetes rounds a percentage of minAvailable
up.
*/}}
{{- define "hirebridge.validateDisruptionBudget" -}}
{{- $pdb := .Values.podDisruptionBudget }}
{{- if $pdb.enabled }}
{{- $max := toString $pdb.maxUnavailable }}
{{- $min := toString $pdb.minAvailable }}
{{- $replicas := int (ternary .Values.autoscaling.minReplicas .Values.replicaCount .Values.autoscaling.enabled) }}
{{- if and (eq $max "") (eq $min "") }}
{{- fail "podDisruptionBudget: set maxUnavailable (1 is the default) or minAvailable" }}
{{- end }}
{{- if or (eq $max "0") (eq $max "0%") }}
{{- fail "podDisruptionBudget.maxUnavailable 0 blocks every eviction: node drains would wait for ever; use 1" }}
{{- end }}
{{- if and (eq $max "") (gt $replicas 0) }}
{{- $need := 0 }}
{{- if hasSuffix "%" $min }}
{{- $need = div (add (mul (int (trimSuffix "%" $min)) $replicas) 99) 100 }}
{{- else }}
{{- $need = int $min }}
{{- end }}
{{- if ge $need $replicas }}
{{- fail (printf "podDisruptionBudget.minAvailable %s keeps all of the %d pods (replicaCount, or autoscaling.minReplicas) and blocks every eviction: node drains would wait for ever; use maxUnavailable 1" $min $replicas) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The longest shutdown the settings allow: the delay, the drain's budget, then
the sink's, one after the other (the binary gives each its own).
*/}}
{{- define "hirebridge.shutdownSeconds" -}}
{{- $c := .Values.config }}
{{- add (int $c.shutdownDelaySeconds) (int $c.shutdownTimeoutSeconds) (int $c.sinkCloseTimeoutSeconds) }}
{{- end }}

{{/* The grace period: set, or the shutdown sequence plus room for the admin endpoints' stop (5 s) and the exit. */}}
{{- define "hirebridge.terminationGracePeriodSeconds" -}}
{{- if .Values.terminationGracePeriodSeconds }}
{{- int .Values.terminationGracePeriodSeconds }}
{{- else }}
{{- add (include "hirebridge.shutdownSeconds" . | int) 10 }}
{{- end }}
{{- end }}

{{/*
A Kubernetes memory quantity in whole bytes: plain bytes or a decimal number
(up to 6 fractional digits) with a Ki, Mi, Gi, Ti, k (or K), M, G or T
suffix, e.g. 268435456, 256Mi, 1.5Gi, 512M. Takes a dict: "quantity" and
"name" (the value's path, for the error). Fails on anything else.
*/}}
{{- define "hirebridge.quantityBytes" -}}
{{- $q := .quantity }}
{{- $bytes := 0 }}
{{- if kindIs "string" $q }}
{{- $re := "^([0-9]*)(\\.([0-9]{1,6}))?(Ki|Mi|Gi|Ti|k|K|M|G|T)?$" }}
{{- if or (not (regexMatch $re $q)) (not (regexMatch "^[0-9]|^\\.[0-9]" $q)) }}
{{- fail (printf "%s %q is not a memory quantity the chart can read: give bytes, or a number with a Ki, Mi, Gi, Ti, k, M, G or T suffix (e.g. 256Mi, 1.5Gi, 512M)" .name $q) }}
{{- end }}
{{- $units := dict "" 1 "k" 1000 "K" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 }}
{{- $mult := index $units (regexReplaceAll $re $q "${4}") | int64 }}
{{- $whole := regexReplaceAll $re $q "${1}" | atoi | int64 }}
{{- $frac := regexReplaceAll $re $q "${3}" }}
{{- $scale := 1 }}
{{- range until (len $frac) }}{{- $scale = mul $scale 10 }}{{- end }}
{{- $bytes = add (mul $whole $mult) (div (mul (atoi (default "0" $frac)) $mult) $scale) }}
{{- if or (gt (len (regexReplaceAll "^0+" (regexReplaceAll $re $q "${1}") "")) 15) (ne (div (mul $whole $mult) $mult) $whole) }}
{{- fail (printf "%s %q is too large" .name $q) }}
{{- end }}
{{- else if or (kindIs "float64" $q) (kindIs "int64" $q) (kindIs "int" $q) }}
{{- $bytes = int64 $q }}
{{- else }}
{{- fail (printf "%s must be a memory quantity such as 256Mi, got %v" .name $q) }}
{{- end }}
{{- if le (int64 $bytes) 0 }}
{{- fail (printf "%s (%v) must be more than 0 bytes" .name $q) }}
{{- end }}
{{- int64 $bytes }}
{{- end }}

{{/*
GOMEMLIMIT for the container: 90% of resources.limits.memory in whole bytes,
so Go's garbage collector keeps the heap under the container's limit instead
of letting it grow into an OOM kill. Empty when there is no memory limit, or
when extraEnv sets GOMEMLIMIT itself.
*/}}
{{- define "hirebridge.gomemlimit" -}}
{{- $userSet := false }}
{{- range .Values.extraEnv }}
{{- if eq .name "GOMEMLIMIT" }}{{- $userSet = true }}{{- end }}
{{- end }}
{{- $limits := dict }}
{{- if kindIs "map" .Values.resources }}
{{- $l := get .Values.resources "limits" }}
{{- if kindIs "map" $l }}{{- $limits = $l }}{{- end }}
{{- end }}
{{- $memory := get $limits "memory" }}
{{- if and (not $userSet) (ne (toString $memory) "") }}
{{- $bytes := include "hirebridge.quantityBytes" (dict "quantity" $memory "name" "resources.limits.memory") | int64 }}
{{- /* 9/10 in two parts, so no product exceeds int64 */}}
{{- add (mul (div $bytes 10) 9) (div (mul (mod $bytes 10) 9) 10) }}
{{- end }}
{{- end }}
