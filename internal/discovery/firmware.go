package discovery

import (
	"bufio"
	"bytes"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
)

// RaspberryPiManufacturer is the manufacturer reported for a Raspberry Pi,
// whose device tree names the model but not the maker.
const RaspberryPiManufacturer = "Raspberry Pi"

// firmwarePlaceholders are values firmware vendors leave in DMI fields they
// never filled in, lower-cased. They identify nothing, so they mean unknown.
var firmwarePlaceholders = map[string]bool{
	"to be filled by o.e.m.":   true,
	"to be filled by oem":      true,
	"default string":           true,
	"system serial number":     true,
	"system product name":      true,
	"system manufacturer":      true,
	"system version":           true,
	"chassis serial number":    true,
	"base board serial number": true,
	"serial number":            true,
	"type1productconfigid":     true,
	"not specified":            true,
	"not applicable":           true,
	"not available":            true,
	"not present":              true,
	"unknown":                  true,
	"none":                     true,
	"null":                     true,
	"empty":                    true,
	"invalid":                  true,
	"n/a":                      true,
	"na":                       true,
	"oem":                      true,
	"o.e.m.":                   true,
	"0123456789":               true,
	"123456789":                true,
	"1234567890":               true,
}

// CleanDMIValue turns a raw firmware string (a DMI field or a device-tree
// property) into a fact: surrounding whitespace and NULs are trimmed, and
// placeholders ("To Be Filled By O.E.M.", "Default string", "0", ...), values
// made only of zeros and separators, and values that are not clean text
// (invalid UTF-8, control characters) become "", unknown.
func CleanDMIValue(raw string) string {
	s := strings.TrimFunc(raw, func(r rune) bool { return r == 0 || unicode.IsSpace(r) })
	switch {
	case s == "",
		!utf8.ValidString(s),
		strings.ContainsFunc(s, unicode.IsControl),
		firmwarePlaceholders[strings.ToLower(s)],
		strings.Trim(s, "0 -:.") == "":
		return ""
	}
	return s
}

// firmware reads serial, model and manufacturer: DMI on x86, the device tree
// on ARM, and on a Raspberry Pi /proc/cpuinfo for what the device tree lacks.
func (p *probe) firmware(hw *host.Hardware) {
	dmi := filepath.Join(p.opts.SysRoot, "class", "dmi", "id")
	hw.Serial = CleanDMIValue(p.readFact("serial", filepath.Join(dmi, "product_serial")))
	hw.Model = CleanDMIValue(p.readFact("model", filepath.Join(dmi, "product_name")))
	hw.Manufacturer = CleanDMIValue(p.readFact("manufacturer", filepath.Join(dmi, "sys_vendor")))
	if hw.Serial != "" && hw.Model != "" && hw.Manufacturer != "" {
		return
	}

	// /proc/device-tree is a symlink to /sys/firmware/devicetree/base with an
	// absolute target, which under a mounted HOST_PROC would resolve in the
	// container; so the sysfs path comes first.
	for _, base := range []string{
		filepath.Join(p.opts.SysRoot, "firmware", "devicetree", "base"),
		filepath.Join(p.opts.ProcRoot, "device-tree"),
	} {
		if !p.isDir(base) {
			continue
		}
		if hw.Serial == "" {
			hw.Serial = CleanDMIValue(firstDTString(p.readFact("serial", filepath.Join(base, "serial-number"))))
		}
		if hw.Model == "" {
			hw.Model = CleanDMIValue(firstDTString(p.readFact("model", filepath.Join(base, "model"))))
		}
		break
	}

	cpuinfo := parseCPUInfo(p.readFact("cpuinfo", filepath.Join(p.opts.ProcRoot, "cpuinfo")))
	if hw.Model == "" && strings.HasPrefix(cpuinfo["Model"], "Raspberry Pi") {
		hw.Model = CleanDMIValue(cpuinfo["Model"])
	}
	if !strings.HasPrefix(hw.Model, "Raspberry Pi") {
		return
	}
	// Other ARM boards print a Serial line too, often all zeros or shared
	// by every board of a kind; on a Pi it is the SoC's unique serial.
	if hw.Serial == "" {
		hw.Serial = CleanDMIValue(cpuinfo["Serial"])
	}
	if hw.Manufacturer == "" {
		hw.Manufacturer = RaspberryPiManufacturer
	}
}

// firstDTString returns the first string of a device-tree property, which
// the kernel exposes NUL-terminated (string lists are NUL-separated).
func firstDTString(v string) string {
	s, _, _ := strings.Cut(v, "\x00")
	return s
}

// parseCPUInfo reads the "Key : value" lines of /proc/cpuinfo. On ARM the
// board-wide keys (Serial, Model, Hardware) come once, after the per-CPU
// blocks; a key seen twice keeps its first value.
func parseCPUInfo(text string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		key := strings.TrimSpace(string(k))
		if _, seen := out[key]; !seen && key != "" {
			out[key] = strings.TrimSpace(string(v))
		}
	}
	return out
}
