# METADATA
# title: "Setuid/setgid binaries beyond the baseline"
# description: "A file with the setuid or setgid bit that is not one of the usual system binaries (passwd, su, mount, ...): a route to privilege escalation inside the container."
# custom:
#   id: IMG-007
#   severity: medium
#   input: container-image
#   remediation: "Remove the bit (`chmod a-s`) or the binary; run with `no-new-privileges`."
#   frameworks:
#     soc2: ["CC6.1"]
#     nist-800-53-r5: ["AC-6", "CM-7"]
#     pci-dss-4.0: ["2.2.5"]
#     iso27001-2022: ["A.8.2"]
package mcpsec.checks.img_007

import rego.v1

# Paths relative to / with a leading usr/ removed (merged /usr).
baseline := {
	"bin/passwd", "bin/su", "bin/chsh", "bin/chfn", "bin/gpasswd", "bin/newgrp", "bin/mount",
	"bin/umount", "bin/sudo", "bin/expiry", "bin/chage", "bin/wall", "bin/write", "bin/ssh-agent",
	"bin/crontab", "bin/ping", "sbin/unix_chkpwd", "sbin/pam_extrausers_chkpwd",
	"lib/openssh/ssh-keysign", "lib/dbus-1.0/dbus-daemon-launch-helper", "libexec/openssh/ssh-keysign",
}

deny contains {"msg": sprintf("/%s is %s", [f.path, kind]), "path": "files"} if {
	some f in input.files
	f.type != "symlink"
	kind := bits(f)
	not trim_prefix(f.path, "usr/") in baseline
}

bits(f) := "setuid" if f.setuid

bits(f) := "setgid" if {
	not f.setuid
	f.setgid
}
