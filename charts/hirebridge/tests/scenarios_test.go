package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Secret values used by the scenarios: each is distinctive, so a test can
// prove it appears nowhere but in the Secret.
const (
	webhookToken      = "wh-token-0123456789abcdef"
	natsPassword      = "nats-pass-Zq8v"
	natsToken         = "nats-token-Lk3m"
	natsCreds         = "-----BEGIN NATS USER JWT-----creds-Pq7r"
	natsNkeySeed      = "SUAMKX7WSEEDNK4p"
	kafkaSaslPassword = "kafka-pass-Yt6w"
)

var secretLiterals = []string{webhookToken, natsPassword, natsToken, natsCreds, natsNkeySeed, kafkaSaslPassword}

// natsAllOn switches on every optional feature of the chart with the NATS
// sink and every NATS secret.
const natsAllOn = `
replicaCount: 3
config:
  logLevel: debug
  nats:
    url: nats://nats-0.nats:4222,nats://nats-1.nats:4222
    embeddedAddr: 127.0.0.1:14222
    user: bridge
    streamMaxAge: 720h
    tls:
      enabled: true
      secretName: nats-client-tls
      caKey: ca.crt
      certKey: tls.crt
      keyKey: tls.key
secrets:
  webhookToken: ` + webhookToken + `
  natsPassword: ` + natsPassword + `
  natsToken: ` + natsToken + `
  natsCreds: "` + natsCreds + `"
  natsNkeySeed: ` + natsNkeySeed + `
extraEnv:
  - name: GOMAXPROCS
    value: "2"
  - name: OTEL_EXPORTER_OTLP_HEADERS_TOKEN
    valueFrom:
      secretKeyRef:
        name: otel
        key: token
extraVolumes:
  - name: tmp
    emptyDir: {}
extraVolumeMounts:
  - name: tmp
    mountPath: /tmp
service:
  type: LoadBalancer
ingress:
  enabled: true
  className: nginx
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 2m
  hosts:
    - hooks.example.com
    - hooks.example.org
  tls:
    - secretName: hooks-tls
      hosts:
        - hooks.example.com
        - hooks.example.org
autoscaling:
  enabled: true
  minReplicas: 3
  maxReplicas: 6
  targetMemoryUtilizationPercentage: 80
podDisruptionBudget:
  enabled: true
  maxUnavailable: 1
serviceMonitor:
  enabled: true
  labels:
    release: prometheus
networkPolicy:
  enabled: true
  adminFrom:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
  restrictEgress: true
  egressTo:
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: nats
      ports:
        - port: 4222
          protocol: TCP
grafanaDashboard:
  enabled: true
topologySpread:
  zoneSpread: true
  whenUnsatisfiable: DoNotSchedule
topologySpreadConstraints:
  - maxSkew: 2
    topologyKey: kubernetes.io/arch
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        app.kubernetes.io/name: hirebridge
priorityClassName: high
nodeSelector:
  kubernetes.io/os: linux
tolerations:
  - key: dedicated
    operator: Equal
    value: hooks
    effect: NoSchedule
podAnnotations:
  example.com/team: hiring
podLabels:
  team: hiring
imagePullSecrets:
  - name: registry
image:
  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`

// kafkaAllOn is the Kafka sink with the chart's own Secret and client TLS,
// and the spool (so the pods run as a StatefulSet).
const kafkaAllOn = `
config:
  sink: kafka
  kafka:
    brokers: kafka-0:9093,kafka-1:9093
    clientId: bridge
    partitions: 6
    replicationFactor: 3
    saslMechanism: SCRAM-SHA-256
    saslUsername: bridge
    dedupWindowSize: 5000
    dedupWindowAge: 30m
    tls:
      enabled: true
      secretName: kafka-client-tls
      caKey: ca.crt
      certKey: tls.crt
      keyKey: tls.key
secrets:
  webhookToken: ` + webhookToken + `
  kafkaSaslPassword: ` + kafkaSaslPassword + `
dataVolume:
  existingClaim: hirebridge-data
spool:
  enabled: true
  maxBytes: 536870912
  after: 3s
  size: 2Gi
  storageClassName: fast-ssd
`

// embedded runs the embedded NATS server: no broker URL, one replica.
const embedded = `
replicaCount: 1
config:
  nats:
    url: ""
dataVolume:
  medium: Memory
  sizeLimit: 256Mi
`

// scenario is a named set of values; every check runs on every scenario.
type scenario struct {
	name string
	vals map[string]any
}

func scenarios(t *testing.T) []scenario {
	t.Helper()
	return append([]scenario{
		{"defaults", values(t, "")},
		{"nats all on", values(t, natsAllOn)},
		{"kafka all on", values(t, kafkaAllOn)},
		{"embedded", values(t, embedded)},
	}, examples(t)...)
}

// examples are the chart's example values files, every one of them: a
// new example is checked without a line here.
func examples(t *testing.T) []scenario {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "examples", "*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("example values files %v (%v), want kafka-sasl, nats-cluster and kafka-cluster at least", files, err)
	}
	var out []scenario
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, scenario{"example " + strings.TrimSuffix(filepath.Base(f), ".yaml"), values(t, string(doc))})
	}
	return out
}
