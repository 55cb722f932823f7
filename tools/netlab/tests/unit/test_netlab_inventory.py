# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/netlab/inventory.py: the inventory, ssh_config and sshd_config a lab writes."""

import yaml

import inventory
import naming


def make_state(count=3):
    state = naming.lab_plan("nla", naming.subnet(7), count)
    state.update({"mode": "untuned", "state_dir": "/run/netlab/nla", "ssh_key": "/run/netlab/nla/id_ed25519",
                  "ssh_config": "/run/netlab/nla/ssh_config", "inventory": "/run/netlab/nla/inventory.yml"})
    return state


def test_inventory_groups_and_vars():
    data = yaml.safe_load(inventory.render_inventory(make_state()))
    children = data["all"]["children"]
    hosts = children["netlab_hosts"]["hosts"]
    assert list(hosts) == ["nla-h01", "nla-h02", "nla-h03"]
    assert hosts["nla-h02"] == {
        "ansible_host": "198.18.7.12",
        "ansible_ssh_private_key_file": "/run/netlab/nla/id_ed25519",
        "ansible_ssh_common_args": "-F /run/netlab/nla/ssh_config",
        "netlab_lab": "nla",
        "netlab_namespace": "nl-nla-h02",
        "netlab_label": "h02",
        "netlab_mode": "untuned",
        "netlab_api_url": "http://198.18.7.2:8080/data",
    }
    # the API host is not in the inventory: playbooks that default to `hosts: all` must not tune it
    assert list(children) == ["netlab_hosts"]
    assert "nla-api" not in inventory.render_inventory(make_state())
    assert data["all"]["vars"] == {"ansible_user": "root", "ansible_python_interpreter": "/usr/bin/python3"}


def test_two_labs_inventories_do_not_share_lab_specific_group_vars():
    """Given together (-i nla -i nlb), each lab's hosts must keep their own key and ssh_config."""
    other = make_state()
    other.update({"lab": "nlb", "ssh_key": "/run/netlab/nlb/id_ed25519", "ssh_config": "/run/netlab/nlb/ssh_config"})
    for state in (make_state(), other):
        data = yaml.safe_load(inventory.render_inventory(state))
        lab_specific = {"ansible_ssh_private_key_file", "ansible_ssh_common_args", "netlab_lab", "netlab_api_url"}
        assert not lab_specific & set(data["all"]["vars"])
        for group in data["all"]["children"].values():
            assert "vars" not in group


def test_inventory_is_plain_yaml_document():
    text = inventory.render_inventory(make_state(50))
    assert text.startswith("---\n") and text.endswith("\n")
    assert max(len(line) for line in text.splitlines()) <= 160
    assert len(yaml.safe_load(text)["all"]["children"]["netlab_hosts"]["hosts"]) == 50


def test_ssh_config():
    text = inventory.render_ssh_config(make_state())
    for line in ("Host nla-h01", "  HostName 198.18.7.11", "Host nla-api", "  StrictHostKeyChecking no",
                 "  UserKnownHostsFile /dev/null", "  LogLevel ERROR", "  ControlMaster auto",
                 "  IdentityFile /run/netlab/nla/id_ed25519", "  ControlPath /run/netlab/nla/cm/%C"):
        assert line in text.splitlines()
    assert text.splitlines().index("Host *") > text.splitlines().index("Host nla-api")


def test_sshd_config_is_key_only_root():
    lines = inventory.render_sshd_config(make_state()).splitlines()
    for line in ("PermitRootLogin prohibit-password", "PasswordAuthentication no", "UsePAM no",
                 "AuthorizedKeysFile /run/netlab/nla/authorized_keys", "PidFile none"):
        assert line in lines


def test_untuned_file():
    text = inventory.untuned_sysctl_conf("4096 16384 65536")
    assert "net.ipv4.tcp_rmem = 4096 16384 65536\n" in text
    assert all(line.startswith("#") for line in text.splitlines() if "=" not in line)
