# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names and addresses of a lab: pure functions, no side effects.

A lab LAB owns, and only ever touches:
  namespaces      nl-LAB-h01 ... nl-LAB-hNN, nl-LAB-api
  init-ns links   nl-LAB-br (bridge), nl-LAB-h01 ... and nl-LAB-api (veth peers, same names as the
                  namespaces they lead to; inside each namespace the peer is called eth0)
  files           /run/netlab/LAB/, /etc/netns/nl-LAB-*/
  addresses       one /24 of 198.18.0.0/15: .1 bridge (controller side), .2 API host, .11.. hosts
Lab names are 1-7 characters [a-z0-9], starting with a letter and without '-', so that every
interface name stays within IFNAMSIZ (15 characters) and no lab's names can match another lab's.
"""

import ipaddress
import re
import zlib

LAB_RE = re.compile(r"[a-z][a-z0-9]{0,6}")
MAX_HOSTS = 200
POOL = ipaddress.ip_network("198.18.0.0/15")
SUBNET_PREFIX = 24
HOST_OFFSET = 10  # h01 is .11, h200 is .210
API_PORT = 8080
IFNAMSIZ_MAX = 15


def check_lab(lab):
    """Return lab if it is a valid lab name, else raise ValueError saying why."""
    if not isinstance(lab, str) or not LAB_RE.fullmatch(lab):
        raise ValueError(
            "invalid lab name %r: use 1-7 characters a-z and 0-9, starting with a letter "
            "(interface names nl-LAB-h001 must fit in 15 characters)" % (lab,))
    return lab


def check_host_count(count):
    if not 1 <= count <= MAX_HOSTS:
        raise ValueError("--hosts must be between 1 and %d, not %d" % (MAX_HOSTS, count))
    return count


def host_label(index):
    """1 -> 'h01', 100 -> 'h100'."""
    return "h%02d" % index


def prefix(lab):
    return "nl-%s" % lab


def host_namespace(lab, index):
    return "%s-%s" % (prefix(lab), host_label(index))


def api_namespace(lab):
    return "%s-api" % prefix(lab)


def bridge_name(lab):
    return "%s-br" % prefix(lab)


def inventory_name(lab, label):
    """Inventory host name: 'nla-h01', 'nla-api'."""
    return "%s-%s" % (lab, label)


def namespace_re(lab):
    """Regex for this lab's namespace (and veth) names; use it with fullmatch()."""
    return re.compile(r"%s-(h[0-9]{2,3}|api)" % re.escape(prefix(check_lab(lab))))


def is_lab_namespace(lab, name):
    return bool(namespace_re(lab).fullmatch(name))


def state_dir(lab, root="/run/netlab"):
    return "%s/%s" % (root, check_lab(lab))


def subnet(index):
    """The index-th /24 of the pool (0..511)."""
    count = 2 ** (SUBNET_PREFIX - POOL.prefixlen)
    if not 0 <= index < count:
        raise ValueError("subnet index %d outside 0..%d" % (index, count - 1))
    base = int(POOL.network_address) + index * 2 ** (32 - SUBNET_PREFIX)
    return ipaddress.ip_network((base, SUBNET_PREFIX))


def subnet_candidates(lab):
    """All /24s of the pool, starting at a position derived from the lab name (stable across runs)."""
    count = 2 ** (SUBNET_PREFIX - POOL.prefixlen)
    start = zlib.crc32(check_lab(lab).encode("ascii")) % count
    for step in range(count):
        yield subnet((start + step) % count)


def allocate_subnet(lab, used):
    """First candidate /24 for lab that overlaps none of the networks in used (strings or networks)."""
    taken = [ipaddress.ip_network(network, strict=False) for network in used]
    taken = [network for network in taken if network.version == 4]
    for net in subnet_candidates(lab):
        if not any(net.overlaps(other) for other in taken):
            return net
    raise ValueError("no free /24 left in %s" % POOL)


def bridge_address(net):
    return str(net.network_address + 1)


def api_address(net):
    return str(net.network_address + 2)


def host_address(net, index):
    if not 1 <= index <= MAX_HOSTS:
        raise ValueError("host index %d outside 1..%d" % (index, MAX_HOSTS))
    return str(net.network_address + HOST_OFFSET + index)


def parse_host_selection(spec, labels, lab=None):
    """Turn 'all', 'h01,h03', '1,3' or 'nla-h01' into a list of labels from labels (in that order).

    Raises ValueError naming the unknown entries.
    """
    if spec is None or spec.strip() in ("", "all"):
        return list(labels)
    wanted = []
    unknown = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        if lab and item.startswith(lab + "-"):
            item = item[len(lab) + 1:]
        if item.isdigit():
            item = host_label(int(item))
        if item not in labels:
            unknown.append(raw.strip())
        elif item not in wanted:
            wanted.append(item)
    if unknown:
        raise ValueError("unknown host(s): %s (known: %s)" % (", ".join(unknown), ", ".join(labels)))
    return [label for label in labels if label in wanted]


def parse_pins(spec, labels, lab=None):
    """``--pin-rcvbuf``: '65536' -> 65536 (every chosen host), '0' or '' -> 0 (none), 'h01=8192,h03=1048576'
    (hosts as parse_host_selection takes them) -> {'h01': 8192, 'h03': 1048576}; a host not named is not
    pinned. Raises ValueError on anything else (a size must be 1 to 2**31-1 bytes)."""
    spec = (spec or "").strip()
    if spec.isdigit() or not spec:
        return _pin_size(spec or "0", allow_zero=True)
    pins = {}
    for raw in spec.split(","):
        host, sep, size = raw.strip().partition("=")
        if not sep:
            raise ValueError("--pin-rcvbuf: %r is neither BYTES nor HOST=BYTES" % raw.strip())
        for label in parse_host_selection(host, labels, lab):
            pins[label] = _pin_size(size.strip())
    return pins


def _pin_size(text, allow_zero=False):
    if not text.isdigit() or not (0 if allow_zero else 1) <= int(text) < 2 ** 31:
        raise ValueError("--pin-rcvbuf: %r is not a size in bytes (1 to 2**31-1)" % text)
    return int(text)


def lab_plan(lab, net, count):
    """Every name and address of a lab of count hosts on net, as plain data (goes into state.json)."""
    check_lab(lab)
    check_host_count(count)
    hosts = []
    for index in range(1, count + 1):
        label = host_label(index)
        hosts.append({
            "label": label,
            "name": inventory_name(lab, label),
            "namespace": host_namespace(lab, index),
            "address": host_address(net, index),
        })
    api = {
        "label": "api",
        "name": inventory_name(lab, "api"),
        "namespace": api_namespace(lab),
        "address": api_address(net),
        "port": API_PORT,
    }
    for name in [bridge_name(lab), api["namespace"]] + [host["namespace"] for host in hosts]:
        assert len(name) <= IFNAMSIZ_MAX, name
    return {
        "lab": lab,
        "subnet": str(net),
        "bridge": bridge_name(lab),
        "bridge_address": bridge_address(net),
        "api": api,
        "hosts": hosts,
    }
