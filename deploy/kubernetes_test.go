package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifests is every object in deploy/kubernetes, decoded strictly into
// its Kubernetes API type.
type manifests struct {
	namespaces      []*corev1.Namespace
	serviceAccounts []*corev1.ServiceAccount
	configMaps      []*corev1.ConfigMap
	secrets         []*corev1.Secret
	daemonSets      []*appsv1.DaemonSet
}

// documentSeparator is a YAML document start on a line of its own.
var documentSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// loadManifests decodes every document of every .yaml file in dir. A field
// the API type does not have, a duplicate key or a kind it does not know
// fails t: kubectl would refuse the first two (strict field validation) and
// this test has to check the third.
func loadManifests(t *testing.T, dir string) manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var m manifests
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		for i, doc := range documentSeparator.Split(string(data), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			where := fmt.Sprintf("%s, document %d", filepath.Base(file), i)
			var tm metav1.TypeMeta
			require.NoError(t, yaml.Unmarshal([]byte(doc), &tm), where)
			strict := func(into any) {
				require.NoError(t, yaml.UnmarshalStrict([]byte(doc), into), where)
			}
			switch tm.APIVersion + " " + tm.Kind {
			case "v1 Namespace":
				var o corev1.Namespace
				strict(&o)
				m.namespaces = append(m.namespaces, &o)
			case "v1 ServiceAccount":
				var o corev1.ServiceAccount
				strict(&o)
				m.serviceAccounts = append(m.serviceAccounts, &o)
			case "v1 ConfigMap":
				var o corev1.ConfigMap
				strict(&o)
				m.configMaps = append(m.configMaps, &o)
			case "v1 Secret":
				var o corev1.Secret
				strict(&o)
				m.secrets = append(m.secrets, &o)
			case "apps/v1 DaemonSet":
				var o appsv1.DaemonSet
				strict(&o)
				m.daemonSets = append(m.daemonSets, &o)
			default:
				t.Fatalf("%s: apiVersion %q kind %q: this test knows no such type; add it", where, tm.APIVersion, tm.Kind)
			}
		}
	}
	return m
}

func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.Lines(doc) {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// TestStrictDecodingRefuses shows the decoding above refuses what kubectl
// would: a field the type lacks, at any depth, and a duplicate key.
func TestStrictDecodingRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":        "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      hostNetwrok: true\n",
		"misplaced field":      "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  hostNetwork: true\n",
		"duplicate key":        "apiVersion: v1\nkind: Secret\ntype: Opaque\ntype: Opaque\n",
		"wrong type of value":  "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      hostNetwork: yes please\n",
		"unknown field in env": "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      containers:\n        - name: x\n          env:\n            - name: A\n              vaule: b\n",
	} {
		t.Run(name, func(t *testing.T) {
			var ds appsv1.DaemonSet
			var s corev1.Secret
			into := any(&ds)
			if strings.Contains(doc, "Secret") {
				into = &s
			}
			assert.Error(t, yaml.UnmarshalStrict([]byte(doc), into))
		})
	}
}

func TestKubernetesManifests(t *testing.T) {
	m := loadManifests(t, "kubernetes")
	require.Len(t, m.daemonSets, 1)
	require.Len(t, m.serviceAccounts, 1)
	require.Len(t, m.secrets, 1)
	require.Len(t, m.configMaps, 1)
	require.Len(t, m.namespaces, 1)
	ds, sa, secret, cm, ns := m.daemonSets[0], m.serviceAccounts[0], m.secrets[0], m.configMaps[0], m.namespaces[0]

	t.Run("one namespace", func(t *testing.T) {
		for _, o := range []metav1.Object{ds, sa, secret, cm} {
			assert.Equal(t, ns.Name, o.GetNamespace(), o.GetName())
		}
		// hostNetwork and hostPath are refused below Pod Security's
		// "privileged" level.
		assert.Equal(t, "privileged", ns.Labels["pod-security.kubernetes.io/enforce"])
	})

	spec := ds.Spec.Template.Spec
	t.Run("references resolve", func(t *testing.T) {
		require.NotNil(t, ds.Spec.Selector)
		for k, v := range ds.Spec.Selector.MatchLabels {
			assert.Equal(t, v, ds.Spec.Template.Labels[k], "the selector matches the pod template's labels")
		}
		assert.Equal(t, sa.Name, spec.ServiceAccountName)
		volumes := map[string]corev1.Volume{}
		for _, v := range spec.Volumes {
			volumes[v.Name] = v
		}
		for _, c := range spec.Containers {
			for _, vm := range c.VolumeMounts {
				assert.Contains(t, volumes, vm.Name, "container %s mounts a volume the pod lacks", c.Name)
			}
			for _, ef := range c.EnvFrom {
				require.NotNil(t, ef.ConfigMapRef)
				assert.Equal(t, cm.Name, ef.ConfigMapRef.Name)
			}
		}
		tokenVolume := volumes["netbox-token"]
		require.NotNil(t, tokenVolume.Secret, "the token comes from a Secret volume")
		assert.Equal(t, secret.Name, tokenVolume.Secret.SecretName)
	})

	require.Len(t, spec.Containers, 1)
	c := spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	mountOf := func(hostPath string) (corev1.VolumeMount, bool) {
		for _, v := range spec.Volumes {
			if v.HostPath != nil && v.HostPath.Path == hostPath {
				for _, vm := range c.VolumeMounts {
					if vm.Name == v.Name {
						return vm, true
					}
				}
			}
		}
		return corev1.VolumeMount{}, false
	}

	t.Run("sees the node", func(t *testing.T) {
		assert.True(t, spec.HostNetwork, "the node's interfaces, addresses, routes and hostname")
		assert.Equal(t, corev1.DNSClusterFirstWithHostNet, spec.DNSPolicy)
		assert.False(t, spec.HostPID)
		assert.False(t, spec.HostIPC)
		// Discovery finds the node's /proc, /sys and /etc through the
		// variables gopsutil reads too.
		for path, variable := range map[string]string{"/proc": "HOST_PROC", "/sys": "HOST_SYS", "/etc": "HOST_ETC"} {
			vm, ok := mountOf(path)
			if assert.True(t, ok, "the node's %s is mounted", path) {
				assert.Equal(t, vm.MountPath, env[variable], "%s names where the node's %s is", variable, path)
			}
		}
		// os-release is read as <HOST_ETC>/../usr/lib/os-release when
		// /etc/os-release links there.
		vm, ok := mountOf("/usr/lib")
		if assert.True(t, ok, "the node's /usr/lib is mounted") {
			assert.Equal(t, filepath.Join(filepath.Dir(env["HOST_ETC"]), "usr", "lib"), vm.MountPath)
		}
		vm, ok = mountOf("/var/run/docker.sock")
		if assert.True(t, ok, "the Docker socket is mounted") {
			assert.Equal(t, "/var/run/docker.sock", vm.MountPath, "where the Docker client looks without DOCKER_HOST")
		}
		nodeName := false
		for _, e := range c.Env {
			if e.Name == "NODE_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
				nodeName = e.ValueFrom.FieldRef.FieldPath == "spec.nodeName"
			}
		}
		assert.True(t, nodeName, "NODE_NAME from the downward API, for --hostname=$(NODE_NAME)")
		assert.NotEmpty(t, spec.Tolerations, "every node, tainted ones too")
	})

	t.Run("read-only", func(t *testing.T) {
		for _, v := range spec.Volumes {
			if v.HostPath == nil {
				continue
			}
			for _, vm := range c.VolumeMounts {
				if vm.Name != v.Name {
					continue
				}
				assert.True(t, vm.ReadOnly, "the node's %s is mounted read-only", v.HostPath.Path)
				if v.HostPath.Type != nil && *v.HostPath.Type == corev1.HostPathDirectory {
					if assert.NotNil(t, vm.RecursiveReadOnly, "%s: submounts read-only too", v.HostPath.Path) {
						assert.Equal(t, corev1.RecursiveReadOnlyIfPossible, *vm.RecursiveReadOnly)
					}
				}
			}
			require.NotNil(t, v.HostPath.Type, "%s: a type, so that a node without it gets no empty folder made", v.HostPath.Path)
			assert.NotContains(t, []corev1.HostPathType{corev1.HostPathDirectoryOrCreate, corev1.HostPathFileOrCreate}, *v.HostPath.Type)
		}
		for _, vm := range c.VolumeMounts {
			assert.True(t, vm.ReadOnly, "%s is mounted read-only", vm.MountPath)
		}
		require.NotNil(t, c.SecurityContext)
		assert.Equal(t, ptrTrue, c.SecurityContext.ReadOnlyRootFilesystem)
	})

	t.Run("non-root, no privileges", func(t *testing.T) {
		psc := spec.SecurityContext
		require.NotNil(t, psc)
		assert.Equal(t, ptrTrue, psc.RunAsNonRoot)
		if assert.NotNil(t, psc.RunAsUser) {
			assert.Equal(t, int64(65532), *psc.RunAsUser, "the image's user")
		}
		assert.NotEmpty(t, psc.SupplementalGroups, "the Docker socket's group")
		assert.NotContains(t, psc.SupplementalGroups, int64(0))
		if assert.NotNil(t, psc.SeccompProfile) {
			assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, psc.SeccompProfile.Type)
		}
		sc := c.SecurityContext
		require.NotNil(t, sc)
		assert.Equal(t, ptrFalse, sc.AllowPrivilegeEscalation)
		if sc.Privileged != nil {
			assert.False(t, *sc.Privileged)
		}
		require.NotNil(t, sc.Capabilities)
		assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
		assert.Empty(t, sc.Capabilities.Add)
		assert.Nil(t, sc.RunAsUser, "the pod's user, not another")
		assert.Equal(t, ptrFalse, sa.AutomountServiceAccountToken, "no Kubernetes API token")
		assert.Equal(t, ptrFalse, spec.AutomountServiceAccountToken)
	})

	t.Run("the token", func(t *testing.T) {
		assert.NotContains(t, env, "NETBOX_TOKEN", "a file, not the environment")
		assert.NotContains(t, cm.Data, "NETBOX_TOKEN")
		file := env["NETBOX_TOKEN_FILE"]
		var key string
		for _, vm := range c.VolumeMounts {
			if vm.Name == "netbox-token" {
				rel, err := filepath.Rel(vm.MountPath, file)
				require.NoError(t, err)
				key = rel
			}
		}
		require.Contains(t, secret.StringData, key, "NETBOX_TOKEN_FILE=%s names a key of the Secret", file)
		// Never a real token in the repository.
		assert.Contains(t, secret.StringData[key], "REPLACE")
		assert.Empty(t, secret.Data)
		// The pod's user reads it through fsGroup.
		tokenVolume := spec.Volumes[slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == "netbox-token" })]
		if assert.NotNil(t, tokenVolume.Secret.DefaultMode) {
			assert.Equal(t, int32(0o440), *tokenVolume.Secret.DefaultMode)
		}
		if assert.NotNil(t, spec.SecurityContext.FSGroup) {
			assert.Equal(t, *spec.SecurityContext.RunAsGroup, *spec.SecurityContext.FSGroup)
		}
	})

	t.Run("a schedule", func(t *testing.T) {
		args := strings.Join(c.Args, " ")
		for _, want := range []string{"apply", "--yes", "--json", "--every=", "--splay="} {
			assert.Contains(t, args, want)
		}
		assert.Empty(t, c.Command, "the image's entrypoint, cmdb-mcp")
		checkCommandLine(t, c.Args)
	})

	t.Run("the ConfigMap's variables are documented", func(t *testing.T) {
		readme, err := os.ReadFile(filepath.Join("..", "README.md"))
		require.NoError(t, err)
		for k := range cm.Data {
			assert.True(t, bytes.Contains(readme, []byte("`"+k+"`")), "%s is not in README.md's configuration table", k)
		}
	})
}

var (
	ptrTrue  = ptr(true)
	ptrFalse = ptr(false)
)

func ptr[T any](v T) *T { return &v }
