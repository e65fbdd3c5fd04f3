{{/* The labels every object carries: deploy/'s name label, and Helm's release labels. */}}
{{- define "reconcile.labels" -}}
app.kubernetes.io/name: reconcile
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end -}}
