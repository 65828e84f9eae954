# shellcheck shell=bash
#
# The Debian 6.1 target kernel: the one place that knows which build it is.
#
# Debian replaces linux-image-6.1.0-N-amd64 with -N+1 on every kernel
# security update and the archive keeps only the newest, so the release is
# never written down anywhere: it is read from the dependency of the
# linux-image-amd64 metapackage, and the unpacked linux-source-6.1 must be
# the same upstream+Debian version or objects rebuilt from it would not
# match the kernel that boots.
#
# Source this file, then call:
#   lp_target_release        print the target release (uname -r of the target)
#   lp_target_pkg_version    print the Debian version of the target packages
#   lp_target_check          fail unless image, modules and headers are present
#   lp_target_kdir           print the target's kbuild dir (KDIR= for kmod/)
#   lp_install_target_kernel apt-get install the matching image/headers/source
#
# Functions return non-zero with a message on stderr; they never exit, so a
# sourcing script decides what a failure means.

lp__tk_err() {
	printf 'target-kernel: %s\n' "$*" >&2
}

# Installed version of a package, empty when it is not installed.
lp__tk_installed_version() {
	local status version
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 0
	[[ "${status}" == ii* ]] || return 0
	version=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null) || return 0
	printf '%s\n' "${version}"
}

# The linux-image-<release> named in a Depends line, as a release.
lp__tk_release_from_depends() {
	local dep
	dep=$(grep -oE 'linux-image-6\.1\.[0-9]+-[0-9]+-amd64' <<<"$1" | head -n1)
	[[ -n "${dep}" ]] || return 1
	printf '%s\n' "${dep#linux-image-}"
}

lp_target_pkg_version() {
	local version
	version=$(lp__tk_installed_version linux-image-amd64)
	if [[ -z "${version}" ]]; then
		lp__tk_err "linux-image-amd64 is not installed (run scripts/install-deps)"
		return 1
	fi
	printf '%s\n' "${version}"
}

lp_target_release() {
	local version depends release image_version source_version
	version=$(lp_target_pkg_version) || return 1
	depends=$(dpkg-query -W -f='${Depends}' linux-image-amd64)
	if ! release=$(lp__tk_release_from_depends "${depends}"); then
		lp__tk_err "linux-image-amd64 ${version} does not depend on a 6.1 amd64 image: '${depends}'"
		return 1
	fi
	image_version=$(lp__tk_installed_version "linux-image-${release}")
	if [[ -z "${image_version}" ]]; then
		lp__tk_err "linux-image-${release} is not installed"
		return 1
	fi
	source_version=$(lp__tk_installed_version linux-source-6.1)
	if [[ "${source_version}" != "${image_version}" ]]; then
		lp__tk_err "linux-source-6.1 is '${source_version:-not installed}' but linux-image-${release} is ${image_version}; run scripts/install-deps"
		return 1
	fi
	printf '%s\n' "${release}"
}

# Everything the VM rig and kbuild read from the target, present and readable,
# with headers of the same build as the image.
lp_target_check() {
	local release path image_version headers_version
	release=$(lp_target_release) || return 1
	image_version=$(lp__tk_installed_version "linux-image-${release}")
	headers_version=$(lp__tk_installed_version "linux-headers-${release}")
	if [[ "${headers_version}" != "${image_version}" ]]; then
		lp__tk_err "linux-headers-${release} is '${headers_version:-not installed}' but the image is ${image_version}"
		return 1
	fi
	for path in "/boot/vmlinuz-${release}" "/lib/modules/${release}/modules.dep" \
		"/lib/modules/${release}/build/Module.symvers" /usr/src/linux-source-6.1.tar.xz; do
		if [[ ! -r "${path}" ]]; then
			lp__tk_err "target ${release}: ${path} is missing"
			return 1
		fi
	done
}

lp_target_kdir() {
	local release
	release=$(lp_target_release) || return 1
	printf '/lib/modules/%s/build\n' "${release}"
}

# Candidate (installable) version of a package from the apt lists.
lp__tk_candidate_version() {
	apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2; exit }'
}

lp_install_target_kernel() {
	# Already consistent: no apt call at all, so re-running install scripts
	# stays fast and works offline.
	if lp_target_check 2>/dev/null; then
		return 0
	fi
	local version depends release
	version=$(lp__tk_candidate_version linux-image-amd64)
	if [[ -z "${version}" || "${version}" == "(none)" ]]; then
		lp__tk_err "no installable linux-image-amd64 (run apt-get update first)"
		return 1
	fi
	depends=$(apt-cache show "linux-image-amd64=${version}" | awk '/^Depends:/ { print; exit }')
	if ! release=$(lp__tk_release_from_depends "${depends}"); then
		lp__tk_err "linux-image-amd64 ${version} does not depend on a 6.1 amd64 image"
		return 1
	fi
	# The image's own version is the one linux-source-6.1 must match; the
	# metapackage normally carries the same version but is not required to.
	local image_version
	image_version=$(lp__tk_candidate_version "linux-image-${release}")
	if ! apt-cache show "linux-source-6.1=${image_version}" >/dev/null 2>&1; then
		lp__tk_err "linux-source-6.1 ${image_version} (matching linux-image-${release}) is not available"
		return 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"linux-image-amd64=${version}" "linux-headers-amd64=${version}" \
		"linux-image-${release}=${image_version}" \
		"linux-source-6.1=${image_version}" || return 1
	lp_target_check
}
