/* cm-version.h — export macro and version of the casemix libraries.
 * SPDX-License-Identifier: Apache-2.0 */
#pragma once

#define CM_API __attribute__((visibility("default"))) extern

#define CM_VERSION_MAJOR 0
#define CM_VERSION_MINOR 1
