package simtest

import "github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/oas"

// patchNetwork holds more such corrections (quirks for package oas too).
func patchNetwork(spec *oas.Spec) {
	patchInterfaceNulls(spec)
	patchBlankDNSName(spec)
	patchBlankCableColor(spec)
	patchCustomFields(spec) // quirks_custom.go
	patchChangelog(spec)    // quirks_changelog.go
}

// patchInterfaceNulls: an interface without a cable reads "cable_end": null and
// "connected_endpoints_reachable": null in NetBox 4.3, where the document
// says a non-nullable string and boolean.
//
//   - cable_end: CabledObjectModel.cable_end is CharField(null=True) and 4.2
//     stores empty choices as null (#17761); CabledObjectSerializer declares
//     it CharField(read_only=True) without allow_null (NetBox issue #22084,
//     reported against 4.5.9; the schema was fixed later, by #22086).
//   - connected_endpoints_reachable: ConnectedEndpointsSerializer returns
//     `obj._path and obj._path.is_complete and obj._path.is_active`, which is
//     None when the interface has no cable path.
//
// Both decode in go-netbox (a pointer, and a bool left false).
func patchInterfaceNulls(spec *oas.Spec) {
	s := spec.Doc.Components.Schemas["Interface"]
	if s == nil || s.Value == nil {
		return
	}
	for _, name := range []string{"cable_end", "connected_endpoints_reachable"} {
		if p := s.Value.Properties[name]; p != nil && p.Value != nil {
			p.Value.Nullable = true
		}
	}
}

// patchBlankDNSName: an IP address without a DNS name reads "dns_name": ""
// (the model field is blank=True, default ”), and a client may write "":
// DRF's CharField returns ” before running validators. The document puts
// DNSValidator's pattern on the field, which "" does not match.
func patchBlankDNSName(spec *oas.Spec) {
	for _, name := range []string{"IPAddress", "IPAddressRequest", "WritableIPAddressRequest",
		"PatchedWritableIPAddressRequest"} {
		s := spec.Doc.Components.Schemas[name]
		if s == nil || s.Value == nil {
			continue
		}
		if p := s.Value.Properties["dns_name"]; p != nil && p.Value != nil && p.Value.Pattern != "" {
			p.Value.Pattern = `^(([0-9A-Za-z_-]+|\*)(\.[0-9A-Za-z_-]+)*\.?)?$`
		}
	}
}

// patchBlankCableColor: a cable without a color reads "color": "" (the
// model's ColorField is blank=True, default ”), and a client may write
// "": DRF's CharField returns ” before running validators. The document
// puts ColorValidator's pattern on the field, which "" does not match.
func patchBlankCableColor(spec *oas.Spec) {
	for _, name := range []string{"Cable", "CableRequest", "WritableCableRequest", "PatchedWritableCableRequest"} {
		s := spec.Doc.Components.Schemas[name]
		if s == nil || s.Value == nil {
			continue
		}
		if p := s.Value.Properties["color"]; p != nil && p.Value != nil && p.Value.Pattern == "^[0-9a-f]{6}$" {
			p.Value.Pattern = "^([0-9a-f]{6})?$"
		}
	}
}
