package diff

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// What NetBox's models accept (read at v4.3.7). A plan meets them before
// anything is sent: a value that can be made valid is (a long image is
// shortened in the description, vCPUs are rounded), and a change that
// cannot (a container name too long for a VM) is Blocked with the reason.
const (
	// MaxVMName and MaxInterfaceName: virtualization/models/virtualmachines.py
	// and dcim/models/device_components.py, name max_length=64.
	MaxVMName        = 64
	MaxInterfaceName = 64
	// MaxName is the names of clusters, platforms and roles
	// (netbox/models PrimaryModel/OrganizationalModel, max_length=100).
	MaxName = 100
	// MaxDescription: netbox/models/__init__.py, description max_length=200.
	MaxDescription = 200
	// MinVCPUs and MaxVCPUs: VirtualMachine.vcpus, DecimalField(max_digits=6,
	// decimal_places=2) with MinValueValidator(decimal.Decimal(0.01)). That
	// Decimal is made from the float 0.01, a hair above 0.01, so NetBox
	// refuses 0.01 itself: the smallest two-place value it takes is 0.02.
	MinVCPUs = 0.02
	MaxVCPUs = 9999.99
	// MinMTU and MaxMTU: dcim/constants.py INTERFACE_MTU_MIN/MAX.
	MinMTU = 1
	MaxMTU = 32767
	// MaxMemoryMB: VirtualMachine.memory is a PositiveIntegerField.
	MaxMemoryMB = math.MaxInt32
)

// tooLong says why a name longer than max characters (as Django counts
// them: code points) cannot be written, or "" when it fits.
func tooLong(what, name string, max int, fix string) string {
	if n := utf8.RuneCountInString(name); n > max {
		return fmt.Sprintf("%s is %d characters and NetBox allows at most %d: %s", what, n, max, fix)
	}
	return ""
}

// shortDescription is s cut to NetBox's 200 characters, ending in "…"
// when cut, and whether it was.
func shortDescription(s string) (string, bool) {
	if utf8.RuneCountInString(s) <= MaxDescription {
		return s, false
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:MaxDescription-1]), " ") + "…", true
}

// imageFields are a VM's description and comments for a container image:
// the image as it is, or, when longer than a description may be, shortened
// there and whole in the comments ("" leaves the comments alone).
func imageFields(image string) (description, comments string) {
	d, cut := shortDescription(image)
	if cut {
		return d, image
	}
	return d, ""
}

// validVCPUs is a container's CPU limit as NetBox stores vCPUs: two
// decimals, at least 0.02 (see MinVCPUs) and at most 9999.99; 0 (no limit)
// stays 0.
func validVCPUs(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	r := math.Round(v*100) / 100
	return math.Min(math.Max(r, MinVCPUs), MaxVCPUs)
}
