{{/*
The pod template, shared by the Deployment and, with the spool on, the
StatefulSet: the same pod either way, plus the spool's volume.
*/}}
{{- define "hirebridge.podTemplate" -}}
{{- $keys := include "hirebridge.secretKeys" . | fromYaml }}
{{- $nats := .Values.config.nats }}
{{- $kafka := .Values.config.kafka }}
{{- $natsTLS := and (eq .Values.config.sink "nats") $nats.tls.enabled }}
{{- $kafkaTLS := and (eq .Values.config.sink "kafka") $kafka.tls.enabled $kafka.tls.secretName }}
metadata:
  annotations:
    # Pods roll when the configuration or the chart's secret values change.
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    checksum/secret: {{ toJson .Values.secrets | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include "hirebridge.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "hirebridge.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automount }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  # Above HIREBRIDGE_SHUTDOWN_DELAY + HIREBRIDGE_SHUTDOWN_TIMEOUT +
  # HIREBRIDGE_SINK_CLOSE_TIMEOUT, so the drain and the sink's flush finish
  # before the kubelet sends SIGKILL.
  terminationGracePeriodSeconds: {{ include "hirebridge.terminationGracePeriodSeconds" . }}
  containers:
    - name: hirebridge
      image: {{ include "hirebridge.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: ["serve"]
      ports:
        - name: http
          containerPort: {{ .Values.containerPorts.http }}
          protocol: TCP
        - name: admin
          containerPort: {{ .Values.containerPorts.admin }}
          protocol: TCP
      envFrom:
        - configMapRef:
            name: {{ include "hirebridge.fullname" . }}
      {{- $gomemlimit := include "hirebridge.gomemlimit" . }}
      {{- if or $gomemlimit .Values.extraEnv .Values.tracing.endpoint }}
      env:
        {{- with $gomemlimit }}
        # 90% of resources.limits.memory: the Go heap stays under the
        # container's limit instead of growing into an OOM kill.
        - name: GOMEMLIMIT
          value: {{ . | quote }}
        {{- end }}
        {{- with .Values.tracing.endpoint }}
        # Tracing on: the standard OpenTelemetry variables (docs/tracing.md).
        - name: OTEL_EXPORTER_OTLP_ENDPOINT
          value: {{ . | quote }}
        - name: OTEL_EXPORTER_OTLP_PROTOCOL
          value: {{ $.Values.tracing.protocol | quote }}
        - name: OTEL_SERVICE_NAME
          value: {{ $.Values.tracing.serviceName | quote }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      startupProbe:
        httpGet:
          path: /livez
          port: admin
        periodSeconds: {{ .Values.startupProbe.periodSeconds }}
        failureThreshold: {{ .Values.startupProbe.failureThreshold }}
      livenessProbe:
        httpGet:
          path: /livez
          port: admin
        initialDelaySeconds: {{ .Values.livenessProbe.initialDelaySeconds }}
        periodSeconds: {{ .Values.livenessProbe.periodSeconds }}
        timeoutSeconds: {{ .Values.livenessProbe.timeoutSeconds }}
        failureThreshold: {{ .Values.livenessProbe.failureThreshold }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: admin
        initialDelaySeconds: {{ .Values.readinessProbe.initialDelaySeconds }}
        periodSeconds: {{ .Values.readinessProbe.periodSeconds }}
        timeoutSeconds: {{ .Values.readinessProbe.timeoutSeconds }}
        failureThreshold: {{ .Values.readinessProbe.failureThreshold }}
        successThreshold: {{ .Values.readinessProbe.successThreshold }}
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: data
          mountPath: /data
        {{- if .Values.spool.enabled }}
        # The pod's own PersistentVolumeClaim (the StatefulSet's
        # volumeClaimTemplate): HIREBRIDGE_SPOOL_DIR.
        - name: spool
          mountPath: {{ include "hirebridge.spoolDir" . }}
        {{- end }}
        {{- if $keys }}
        - name: secrets
          mountPath: {{ include "hirebridge.secretDir" . }}
          readOnly: true
        {{- end }}
        {{- if .Values.sources.existingSecret }}
        # A directory, not a subPath: Kubernetes swaps the ..data symlink
        # when the Secret changes, and the bridge reads the file again.
        - name: sources
          mountPath: {{ include "hirebridge.sourcesDir" . }}
          readOnly: true
        {{- end }}
        {{- if .Values.console.adminToken.existingSecret }}
        # The console's admin token (HIREBRIDGE_ADMIN_TOKEN_FILE).
        - name: admin-token
          mountPath: {{ include "hirebridge.adminTokenDir" . }}
          readOnly: true
        {{- end }}
        {{- if $natsTLS }}
        - name: nats-tls
          mountPath: {{ include "hirebridge.natsTLSDir" . }}
          readOnly: true
        {{- end }}
        {{- if $kafkaTLS }}
        - name: kafka-tls
          mountPath: {{ include "hirebridge.kafkaTLSDir" . }}
          readOnly: true
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: data
      {{- if .Values.dataVolume.existingClaim }}
      persistentVolumeClaim:
        claimName: {{ .Values.dataVolume.existingClaim }}
      {{- else }}
      emptyDir:
        {{- with .Values.dataVolume.medium }}
        medium: {{ . }}
        {{- end }}
        {{- with .Values.dataVolume.sizeLimit }}
        sizeLimit: {{ . }}
        {{- end }}
      {{- end }}
    {{- if $keys }}
    - name: secrets
      secret:
        secretName: {{ include "hirebridge.secretName" . }}
        defaultMode: 0440
        items:
          {{- range $name, $key := $keys }}
          - key: {{ $key }}
            path: {{ $key }}
          {{- end }}
    {{- end }}
    {{- if .Values.sources.existingSecret }}
    - name: sources
      secret:
        secretName: {{ .Values.sources.existingSecret }}
        defaultMode: 0440
        items:
          - key: {{ .Values.sources.key }}
            path: {{ .Values.sources.key }}
    {{- end }}
    {{- with .Values.console.adminToken }}
    {{- if .existingSecret }}
    - name: admin-token
      secret:
        secretName: {{ .existingSecret }}
        defaultMode: 0440
        items:
          - key: {{ .key }}
            path: {{ .key }}
    {{- end }}
    {{- end }}
    {{- if $natsTLS }}
    - name: nats-tls
      secret:
        secretName: {{ $nats.tls.secretName }}
        defaultMode: 0440
    {{- end }}
    {{- if $kafkaTLS }}
    - name: kafka-tls
      secret:
        secretName: {{ $kafka.tls.secretName }}
        defaultMode: 0440
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if or .Values.topologySpread.enabled .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- if .Values.topologySpread.enabled }}
    - maxSkew: {{ .Values.topologySpread.maxSkew }}
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: {{ .Values.topologySpread.whenUnsatisfiable }}
      labelSelector:
        matchLabels:
          {{- include "hirebridge.selectorLabels" . | nindent 10 }}
    {{- if .Values.topologySpread.zoneSpread }}
    - maxSkew: {{ .Values.topologySpread.maxSkew }}
      topologyKey: topology.kubernetes.io/zone
      whenUnsatisfiable: {{ .Values.topologySpread.whenUnsatisfiable }}
      labelSelector:
        matchLabels:
          {{- include "hirebridge.selectorLabels" . | nindent 10 }}
    {{- end }}
    {{- end }}
    {{- with .Values.topologySpreadConstraints }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
