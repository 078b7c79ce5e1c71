package discovery

import (
	"slices"
	"strings"
)

// PlatformName returns the NetBox platform name for the host whose
// os-release variables are rel, following the seed's naming table:
//
//	Ubuntu            "Ubuntu {VERSION_ID}", plus " LTS" when VERSION says LTS
//	Debian            "Debian {VERSION_ID}"
//	Raspberry Pi OS   "Raspberry Pi OS {VERSION_ID}"
//	anything else     "{NAME} {VERSION_ID}"
//
// The version is left off when VERSION_ID is missing (Debian testing, rolling
// releases). An empty rel (no os-release found) gives "", which means
// unknown.
//
// rpiImage reports that the host carries /etc/rpi-issue, the marker the
// Raspberry Pi OS images ship: their 64-bit os-release is Debian's own, word
// for word, so it cannot be told apart by os-release alone.
func PlatformName(rel map[string]string, rpiImage bool) string {
	get := func(k string) string { return strings.TrimSpace(rel[k]) }
	id, name, version := get("ID"), get("NAME"), get("VERSION_ID")
	if id == "" && name == "" && version == "" {
		return ""
	}

	var base string
	switch {
	case isRaspberryPiOS(rel, rpiImage):
		base = "Raspberry Pi OS"
	case id == "ubuntu":
		base = "Ubuntu"
		if version != "" && strings.Contains(get("VERSION"), "LTS") {
			version += " LTS"
		}
	case id == "debian":
		base = "Debian"
	case name != "":
		base = name
	default:
		// os-release(5): "If not set, a default of "NAME=Linux" may be used."
		base = "Linux"
	}
	if version == "" {
		return base
	}
	return base + " " + version
}

// isRaspberryPiOS recognises Raspberry Pi OS: the 32-bit images say
// ID=raspbian, older 64-bit ones name it in NAME/PRETTY_NAME, current 64-bit
// ones only ship /etc/rpi-issue. Plain Debian installed on a Pi has none of
// these and stays "Debian".
func isRaspberryPiOS(rel map[string]string, rpiImage bool) bool {
	id := strings.ToLower(strings.TrimSpace(rel["ID"]))
	if id == "raspbian" || slices.Contains(strings.Fields(strings.ToLower(rel["ID_LIKE"])), "raspbian") {
		return true
	}
	// Only Debian itself: Ubuntu and other derivatives say ID_LIKE=debian
	// and are not Raspberry Pi OS even when installed on a Pi.
	if id != "debian" {
		return false
	}
	if rpiImage {
		return true
	}
	for _, k := range []string{"NAME", "PRETTY_NAME"} {
		v := strings.ToLower(rel[k])
		if strings.Contains(v, "raspbian") || strings.Contains(v, "raspberry pi") {
			return true
		}
	}
	return false
}
