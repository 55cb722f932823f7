# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    """O(variable_names): how a module names its options in its messages when a caller (the role) knows them
    by other names. Each module that extends this fragment lists, under its own C(options.variable_names),
    only the C(suboptions) it accepts (the options its messages name), one line each; those are merged with
    this description, type and default."""

    DOCUMENTATION = r'''
options:
  variable_names:
    description:
      - The name each option has for the caller, used in the module's messages (the role maps each option to its
        variable, for example O(unsettable) to C(sysctl_profile_unsettable)). An option not listed is named as itself.
    type: dict
    default: {}
'''
