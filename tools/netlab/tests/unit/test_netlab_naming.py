# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/netlab/naming.py: lab names, interface names, subnet allocation, host selection."""

import ipaddress

import pytest
from hypothesis import given, strategies as st

import naming

LABS = st.from_regex(naming.LAB_RE, fullmatch=True)


@pytest.mark.parametrize("lab", ["a", "nla", "nla2", "molecul"])
def test_valid_lab_names(lab):
    assert naming.check_lab(lab) == lab


@pytest.mark.parametrize("lab", ["", "2nd", "Nla", "nl-a", "toolong1", "a b", "nla\n", None, "ä"])
def test_invalid_lab_names(lab):
    with pytest.raises(ValueError, match="invalid lab name"):
        naming.check_lab(lab)


@given(LABS)
def test_every_interface_name_fits_ifnamsiz(lab):
    names = [naming.bridge_name(lab), naming.api_namespace(lab), naming.host_namespace(lab, naming.MAX_HOSTS)]
    assert all(len(n) <= 15 for n in names)


def test_names_of_a_lab():
    assert naming.host_namespace("nla", 1) == "nl-nla-h01"
    assert naming.host_namespace("nla", 100) == "nl-nla-h100"
    assert naming.api_namespace("nla") == "nl-nla-api"
    assert naming.bridge_name("nla") == "nl-nla-br"
    assert naming.inventory_name("nla", "h07") == "nla-h07"
    assert naming.state_dir("nla") == "/run/netlab/nla"


def test_namespace_regex_matches_only_its_own_lab():
    assert naming.is_lab_namespace("nla", "nl-nla-h01")
    assert naming.is_lab_namespace("nla", "nl-nla-h150")
    assert naming.is_lab_namespace("nla", "nl-nla-api")
    for other in ("nl-nla2-h01", "nl-nla2-api", "nl-nla-br", "nl-nla-h1", "nl-nla-h01x", "xnl-nla-h01",
                  "nl-nla-h01\n", "nl-nl-h01"):
        assert not naming.is_lab_namespace("nla", other), other


@given(LABS, LABS)
def test_two_labs_never_share_a_name(lab1, lab2):
    if lab1 != lab2:
        own = [naming.host_namespace(lab1, 1), naming.host_namespace(lab1, 100), naming.api_namespace(lab1),
               naming.bridge_name(lab1)]
        assert not any(naming.is_lab_namespace(lab2, n) for n in own)
        assert naming.bridge_name(lab1) != naming.bridge_name(lab2)


def test_subnet_is_stable_and_inside_the_pool():
    first = naming.allocate_subnet("nla", [])
    assert first == naming.allocate_subnet("nla", [])
    assert first.subnet_of(naming.POOL) and first.prefixlen == 24


def test_subnet_skips_what_is_used():
    first = naming.allocate_subnet("nla", [])
    second = naming.allocate_subnet("nla", [str(first), "192.0.2.2/24", "fd00::2/64"])
    assert second != first and second.subnet_of(naming.POOL)


def test_subnet_skips_an_overlapping_bigger_network():
    first = naming.allocate_subnet("nla", [])
    bigger = ipaddress.ip_network((int(first.network_address), 20), strict=False)
    assert not naming.allocate_subnet("nla", [str(bigger)]).overlaps(bigger)


def test_pool_exhausted():
    with pytest.raises(ValueError, match="no free /24"):
        naming.allocate_subnet("nla", ["198.18.0.0/15"])


@given(st.lists(LABS, min_size=2, max_size=12, unique=True))
def test_labs_allocated_one_after_another_get_distinct_subnets(labs):
    used = []
    for lab in labs:
        used.append(str(naming.allocate_subnet(lab, used)))
    assert len(set(used)) == len(used)


def test_addresses():
    net = naming.subnet(0)
    assert str(net) == "198.18.0.0/24"
    assert str(naming.subnet(511)) == "198.19.255.0/24"
    assert naming.bridge_address(net) == "198.18.0.1"
    assert naming.api_address(net) == "198.18.0.2"
    assert naming.host_address(net, 1) == "198.18.0.11"
    assert naming.host_address(net, 200) == "198.18.0.210"
    with pytest.raises(ValueError):
        naming.host_address(net, 201)
    with pytest.raises(ValueError):
        naming.subnet(512)


def test_host_count_bounds():
    assert naming.check_host_count(50) == 50
    for bad in (0, 201):
        with pytest.raises(ValueError, match="--hosts"):
            naming.check_host_count(bad)


@pytest.mark.parametrize("spec, expected", [
    (None, ["h01", "h02", "h03"]),
    ("all", ["h01", "h02", "h03"]),
    ("h03,h01", ["h01", "h03"]),
    ("2", ["h02"]),
    ("nla-h02, h02", ["h02"]),
])
def test_host_selection(spec, expected):
    assert naming.parse_host_selection(spec, ["h01", "h02", "h03"], "nla") == expected


def test_host_selection_names_unknown_hosts():
    with pytest.raises(ValueError, match="unknown host.*h09"):
        naming.parse_host_selection("h01,h09", ["h01", "h02"], "nla")


@pytest.mark.parametrize("spec, expected", [
    ("0", 0), ("", 0), (None, 0), ("65536", 65536),
    ("h01=8192,h03=1048576", {"h01": 8192, "h03": 1048576}),
    ("nla-h02=65536, 1=8192", {"h02": 65536, "h01": 8192}),
])
def test_pins(spec, expected):
    assert naming.parse_pins(spec, ["h01", "h02", "h03"], "nla") == expected


@pytest.mark.parametrize("spec, message", [
    ("h01", "neither BYTES nor HOST=BYTES"), ("h01=0", "not a size"), ("h01=-1", "not a size"),
    ("h01=8k", "not a size"), ("h09=8192", "unknown host"), ("%d" % 2 ** 31, "not a size"),
])
def test_bad_pins(spec, message):
    with pytest.raises(ValueError, match=message):
        naming.parse_pins(spec, ["h01", "h02", "h03"], "nla")


def test_lab_plan():
    plan = naming.lab_plan("nla", naming.subnet(3), 2)
    assert plan["bridge_address"] == "198.18.3.1"
    assert plan["api"] == {"label": "api", "name": "nla-api", "namespace": "nl-nla-api",
                           "address": "198.18.3.2", "port": 8080}
    assert [h["name"] for h in plan["hosts"]] == ["nla-h01", "nla-h02"]
    assert plan["hosts"][1] == {"label": "h02", "name": "nla-h02", "namespace": "nl-nla-h02", "address": "198.18.3.12"}
