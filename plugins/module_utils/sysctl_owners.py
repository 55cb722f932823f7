# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who owns a sysctl.d / sysctl.conf file that sets one of our keys, and how to leave the key to one owner.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports, no I/O: ``owner_of(path, text)`` looks only
at the file's name, its directory and the comment lines at its top (at most ``HEAD_LINES`` lines of
the first ``HEAD_CHARS`` characters). Those are the stable marks the tools leave; a value or a comment
further down proves nothing. A file with none of them has no owner here (``owner`` None): the path is
then all the user is told. The file's text is host input: what is quoted back is cut to
``SHOWN_CHARS`` characters with every control character replaced.

Each mark below names where it was seen (repository and path). Keep the list short: a mark enters it
only with such evidence.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch
import re

__all__ = ['owner_of', 'priority_after', 'HEAD_LINES', 'HEAD_CHARS', 'SHOWN_CHARS']

HEAD_LINES = 20
HEAD_CHARS = 4096
SHOWN_CHARS = 80

SYSCTL_CONF = '/etc/sysctl.conf'
# sysctl.d(5): "Packages should install their configuration files in /usr/lib/ (distribution
# packages) or /usr/local/lib/ (local installs)".
# The longest first: a directory is matched by its end (the same directory under a test root).
VENDOR_DIRS = ('/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d')
# The same as profiles.dropin_name and dropin.FINGERPRINT (test_sysctl_owners keeps them equal);
# copied so that this module imports nothing.
_DROPIN_NAME = '%02d-netfleet-tuning.conf'
_FINGERPRINT = 'netfleet.tuning:sysctl_profile'

_UNSHOWN_RE = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]')

_LEAVE = 'leave it to that file with sysctl_profile_overrides: {{{key}: null}}'

# Each mark: (pattern, owner, about, change, reapplies). ``change``: how to give that file our value
# (placeholders {key}, {name}; None: edit or mask the file); ``reapplies``: the tool sets the live value again on every run, so a
# higher priority of ours would not end the conflict, only make it flip on every run.

# By the file's name (a glob on the name alone).
_BY_NAME = (
    # dev-sec/ansible-collection-hardening roles/os_hardening/tasks/sysctl.yml (10.4.0 and later,
    # commit 1512111 "Write sysctl config to separate file (#907)"): ansible.posix.sysctl with
    # sysctl_file: /etc/sysctl.d/90-dev-sec.conf and sysctl_set: true; roles/os_hardening/defaults/main.yml
    # sets net.ipv4.tcp_timestamps: 0. Before 10.4.0 it wrote the same keys to /etc/sysctl.conf.
    ('90-dev-sec.conf', 'dev-sec hardening (devsec.hardening.os_hardening)',
     'devsec.hardening.os_hardening (10.4.0 and later) writes its sysctl_config here with ansible.posix.sysctl '
     '(no header) and sets the live value on every run',
     'give dev-sec our value through its sysctl_overwrite', 'dev-sec'),
    # chef/chef lib/chef/resource/sysctl.rb: the built-in sysctl resource writes
    # /etc/sysctl.d/99-chef-<key>.conf and sets the live value when it differs; the older sysctl cookbook
    # writes 99-chef-attributes.conf (dev-sec/chef-os-hardening recipes/sysctl.rb).
    ('99-chef-*.conf', 'Chef (the sysctl resource or the sysctl cookbook)',
     'Chef writes one 99-chef-<key>.conf per sysctl resource and sets the live value on every converge',
     'change the value in the Chef recipe or attributes that write {name}', 'Chef'),
    # saltstack/salt salt/modules/linux_sysctl.py default_config(): /etc/sysctl.d/99-salt.conf on
    # systemd hosts (sysctl.present / sysctl.persist), which also set the live value.
    ('99-salt.conf', 'Salt (sysctl.present)',
     'Salt writes every sysctl.present key here and sets the live value on every state run',
     'change the value in the Salt state that writes {name}', 'Salt'),
    # GoogleCloudPlatform/guest-configs src/etc/sysctl.d/60-gce-network-security.conf (the
    # google-compute-engine package on GCE images).
    ('60-gce-network-security.conf', 'Google Compute Engine guest configs (google-compute-engine package)',
     "the GCE image's network-security settings, installed by a package into /etc/sysctl.d",
     None, None),
    # kubernetes/website content/en/docs/setup/production-environment/container-runtimes.md: the node
    # prerequisites create /etc/sysctl.d/k8s.conf (net.ipv4.ip_forward = 1).
    ('k8s.conf', 'Kubernetes node setup (the kubernetes.io container runtime prerequisites)',
     'the sysctl file the Kubernetes install guide has every node create; its name sorts after every numbered file',
     'change or remove its line in {name}', None),
)

# By a leading comment line (a regular expression, case-insensitive; a group fills {0} of the owner),
# the more specific marks first.
_OURS = (
    # This collection's own fingerprint (dropin.render): a drop-in of this role at a path the role no
    # longer manages (e.g. left at another priority that the state does not record).
    re.escape(_FINGERPRINT), 'netfleet.tuning.sysctl_profile (another drop-in of this role)',
    'a drop-in this role wrote, at another path than the one it manages now',
    None, None)
_BY_HEADER = (
    # linux-system-roles/kernel_settings templates/kernel_settings.j2: a "system_role:<name>" fingerprint
    # line under ansible_managed (kernel_settings itself writes only a tuned profile, never sysctl.d).
    (r'\bsystem_role:([a-z0-9_]+)', 'linux-system-roles {0}',
     'a file a linux-system-roles role writes (its system_role fingerprint line)',
     'change the value in the variables of the role that writes {name}', None),
    # ansible/ansible lib/ansible/config/base.yml DEFAULT_MANAGED_STR: default 'Ansible managed', the
    # {{ ansible_managed | comment }} header of templates.
    (r'\bansible managed\b', 'Ansible (a template with the ansible_managed header)',
     'a file an Ansible template writes',
     'change the value in the Ansible role or template that writes {name}', None),
    # thias/puppet-sysctl templates/sysctl.d-file.epp: "# This file is being maintained by Puppet."
    # (the sysctl module dev-sec/puppet-os-hardening depends on; manifests/init.pp names the file after
    # the key and, with enforce (the default), sets the live value on every run); "managed by Puppet" is
    # the common form.
    (r'\b(?:maintained|managed) by puppet\b', 'Puppet',
     'a file Puppet manages (the thias/sysctl module names it after the key and sets the live value on every run)',
     'change the value in the Puppet code or Hiera data that manage {name}', None),
    # systemd/systemd sysctl.d/50-default.conf; Debian's /usr/lib/sysctl.d/50-pid-max.conf (systemd 252).
    (r'\bthis file is part of systemd\b', 'systemd (a package default)',
     "a default systemd's package installs",
     None, None),
)

_VENDOR_CHANGE = 'mask the file with an empty /etc/sysctl.d/{name} (that drops all its settings)'
_SYSCTL_CONF_ABOUT = (
    '/etc/sysctl.conf: `sysctl --system` (procps) reads it after every sysctl.d file, and tuned (reapply_sysctl, '
    'on by default) after its own values; systemd-sysctl reads it at boot only through a sysctl.d link to it{via}')
# Said only when no header names a writer.
_SYSCTL_CONF_UNMARKED = (
    '; nothing in it says who wrote a line: ansible.posix.sysctl writes there unless given another '
    'sysctl_file (devsec.hardening.os_hardening did before 10.4.0), or it was edited by hand')
_SYSCTL_CONF_CHANGE = 'remove or change its line in /etc/sysctl.conf (and the task or person that writes it)'
_SYSCTL_CONF_TAIL = '; no sysctl_profile_priority helps, as `sysctl --system` reads /etc/sysctl.conf last'


def _shown(text):
    """Host text fit to quote in a message: control and direction characters replaced, cut short."""
    text = _UNSHOWN_RE.sub('?', text)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + '...'


def _split(path):
    """(directory, name) of a path, '/' separated, without os.path (the host is always Linux)."""
    path = path.rstrip('/')
    cut = path.rfind('/')
    return (path[:cut], path[cut + 1:]) if cut >= 0 else ('', path)


def _in_dir(directory, wanted):
    """True if ``directory`` is ``wanted`` or ends with it (the same directory under a test root)."""
    return directory == wanted or directory.endswith(wanted)


def _header(text):
    """The leading comment lines of ``text``: [(line number, line)], up to the first other line."""
    head = []
    for lineno, line in enumerate(text[:HEAD_CHARS].splitlines()[:HEAD_LINES], 1):
        line = line.strip()
        if not line:
            continue
        if line[0] not in '#;':
            break
        head.append((lineno, line))
    return head


def priority_after(name):
    """The lowest ``sysctl_profile_priority`` (0 to 99) whose drop-in name sorts after ``name``, or None.

    Files are applied in the order of their names, whatever their directory, so a drop-in loads after
    ``name`` when its own name sorts after it: 50 for ``50-foo.conf`` (``50-netfleet-tuning.conf`` >
    ``50-foo.conf``), 90 for ``90-dev-sec.conf``, None for ``99-sysctl.conf`` or ``k8s.conf``.
    """
    for priority in range(100):
        if _DROPIN_NAME % priority > name:
            return priority
    return None


def _tail(name, reapplies):
    """The end of a fix: whether a higher priority of ours would end the conflict."""
    priority = priority_after(name)
    if reapplies:
        if priority is None:
            return ('; no sysctl_profile_priority sorts after {name}, and %s sets the live value again on every run'
                    % reapplies)
        return ('; a higher sysctl_profile_priority would only make the two set {key} back and forth, as %s sets '
                'the live value again on every run' % reapplies)
    if priority is None:
        return '; no sysctl_profile_priority sorts after {name}'
    return ', or set sysctl_profile_priority: %d (or higher) so the drop-in loads after it' % priority


def _match(head, rules):
    """The first rule whose pattern a leading comment line has: (rule, owner, evidence), or None."""
    for rule in rules:
        for lineno, line in head:
            found = re.search(rule[0], line, re.IGNORECASE)
            if found:
                owner = rule[1].format(*[group.lower() for group in found.groups()])
                return rule, owner, 'header line %d: "%s"' % (lineno, _shown(line))
    return None


def owner_of(path, text, key=None, via=None):
    """Who owns the sysctl.d / sysctl.conf file ``path`` whose content is ``text``.

    ``key``: the key it overrides, named in ``fix`` (else "the key"). ``via``: for /etc/sysctl.conf, the
    sysctl.d link through which systemd-sysctl reads it (``dropin.sysctl_conf_links``), if any.

    Returns ``{'owner', 'evidence', 'about', 'fix'}``: ``owner`` the tool (None when no stable mark
    says), ``evidence`` what says so (``'file name 90-dev-sec.conf'``, ``'header line 1: "# Ansible
    managed"'``; None without an owner), ``about`` one line on what the file is and when it loads,
    ``fix`` one sentence on how to leave the key to one owner. Every string is safe to show: host text
    (the name, a header line, ``via``) enters only as a value, cut short, control characters replaced.

    The marks are tried in this order: our own fingerprint, the file name, the other header marks; then
    /etc/sysctl.conf gets its own ``about`` and ``fix`` whoever wrote it, and a file in a vendor directory
    with no other mark is a package's.
    """
    directory, name = _split(path or '')
    head = _header(text or '')
    vendor = next((vendor_dir for vendor_dir in VENDOR_DIRS if _in_dir(directory, vendor_dir)), None)
    rule = owner = evidence = None
    found = _match(head, (_OURS,))
    if found is None:
        for candidate in _BY_NAME:
            if name and fnmatch.fnmatchcase(name, candidate[0]):
                rule, owner, evidence = candidate, candidate[1], 'file name %s' % _shown(name)
                break
    if found is None and rule is None:
        found = _match(head, _BY_HEADER)
    if found is not None:
        rule, owner, evidence = found
    about, change, reapplies = (rule[2], rule[3], rule[4]) if rule else (None, None, None)
    if rule is _OURS:
        fix = 'Pick one owner for {key}: remove {name}, an older drop-in of this role that it no longer manages'
    elif (directory + '/' + name).endswith(SYSCTL_CONF):
        about = _SYSCTL_CONF_ABOUT.format(via=' (here %s)' % _shown(via) if via else ' (none here)')
        if owner is None:
            about += _SYSCTL_CONF_UNMARKED
        fix = 'Pick one owner for {key}: %s, or {leave}%s' % (_SYSCTL_CONF_CHANGE, _SYSCTL_CONF_TAIL)
    else:
        if vendor and owner is None:
            owner, evidence = 'a package (vendor file)', 'directory %s' % vendor
            about = ('a file a package installs (sysctl.d(5)): `dpkg -S` or `rpm -qf` on its path names the '
                     'package; a file of the same name in /etc/sysctl.d replaces it')
        if change is None:
            change = _VENDOR_CHANGE if vendor else 'change or remove its line in {name}'
        fix = 'Pick one owner for {key}: %s, or {leave}%s' % (change, _tail(name, reapplies))
    if about is None:
        about = 'a sysctl.d file with no mark of the tool that wrote it'
    key = _shown(key) if key else 'the key'
    return {'owner': owner, 'evidence': evidence, 'about': about,
            'fix': fix.format(key=key, leave=_LEAVE.format(key=key), name=_shown(name))}
