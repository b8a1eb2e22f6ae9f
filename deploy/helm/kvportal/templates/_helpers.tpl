{{/* The release's base name, at most 63 characters. */}}
{{- define "kvportal.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kvportal.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kvportal.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "web"). */}}
{{- define "kvportal.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kvportal.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kvportal.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "kvportal.secretName" -}}
{{- required "secrets.existingSecret: the name of the Secret with DATABASE_URL, PORTAL_SESSION_KEY and PORTAL_SECRET_KEY" .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The pod's security context: no root, the runtime's seccomp profile. */}}
{{- define "kvportal.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Each container's: a read-only image, no capability, no escalation. */}}
{{- define "kvportal.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The portal writes only to PORTAL_DATA_DIR (the simulator's state, and keys it
would generate were they not given) and the temporary directory: both are
emptyDirs, so the image's root stays read-only.
*/}}
{{- define "kvportal.volumes" -}}
- name: data
  emptyDir:
    sizeLimit: 64Mi
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "kvportal.volumeMounts" -}}
- name: data
  mountPath: /data
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "kvportal.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "kvportal.secretName" .ctx }}
      key: {{ .name }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/*
The environment every container shares. Behind PgBouncer the portal is told
the pooler's mode and given DATABASE_DIRECT_URL, which it uses for what must
hold a session (the migrations' lock, the workers' LISTEN).
*/}}
{{- define "kvportal.env" -}}
{{- $v := .Values -}}
- name: PORTAL_DATA_DIR
  value: /data
- name: TMPDIR
  value: /tmp
{{ include "kvportal.secretEnv" (dict "ctx" . "name" "DATABASE_URL") }}
{{- if $v.database.pooler }}
- name: PORTAL_DB_POOLER
  value: {{ $v.database.pooler | quote }}
{{ include "kvportal.secretEnv" (dict "ctx" . "name" "DATABASE_DIRECT_URL") }}
{{- end }}
{{ include "kvportal.secretEnv" (dict "ctx" $ "name" "PORTAL_SESSION_KEY") }}
{{ include "kvportal.secretEnv" (dict "ctx" $ "name" "PORTAL_SECRET_KEY") }}
{{- with $v.kvstore.endpoint }}
- name: PORTAL_KVSTORE_ENDPOINT
  value: {{ . | quote }}
{{ include "kvportal.secretEnv" (dict "ctx" $ "name" "ALIBABA_CLOUD_ACCESS_KEY_ID") }}
{{ include "kvportal.secretEnv" (dict "ctx" $ "name" "ALIBABA_CLOUD_ACCESS_KEY_SECRET") }}
{{- end }}
{{- with $v.publicURL }}
- name: PORTAL_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
- name: PORTAL_TRUST_PROXY
  value: {{ $v.trustProxy | quote }}
{{- with $v.oidc }}
{{- if .issuer }}
- name: PORTAL_OIDC_ISSUER
  value: {{ .issuer | quote }}
- name: PORTAL_OIDC_CLIENT_ID
  value: {{ required "oidc.clientID is required with oidc.issuer" .clientID | quote }}
{{ include "kvportal.secretEnv" (dict "ctx" $ "name" "PORTAL_OIDC_CLIENT_SECRET") }}
{{- range $key, $name := dict "scopes" "PORTAL_OIDC_SCOPES" "groupsClaim" "PORTAL_OIDC_GROUPS_CLAIM" "adminGroups" "PORTAL_OIDC_ADMIN_GROUPS" "approverGroups" "PORTAL_OIDC_APPROVER_GROUPS" "requesterGroups" "PORTAL_OIDC_REQUESTER_GROUPS" "teamGroups" "PORTAL_OIDC_TEAM_GROUPS" }}
{{- with index $v.oidc $key }}
- name: {{ $name }}
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
- name: PORTAL_LOCAL_LOGIN
  value: {{ .localLogin | quote }}
{{- end }}
{{- if $v.webhook.enabled }}
{{ include "kvportal.secretEnv" (dict "ctx" $ "name" "PORTAL_WEBHOOK_URL") }}
{{ include "kvportal.secretEnv" (dict "ctx" $ "name" "PORTAL_WEBHOOK_SECRET" "optional" true) }}
{{- end }}
{{- range $name, $value := $v.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}
