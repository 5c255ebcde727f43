# CPack: a Debian package (dependencies from the binaries through
# dpkg-shlibdeps) and a relocatable .tar.gz on Linux; NSIS on Windows and a
# DragNDrop disk image on macOS are configured too (see installer/README.md),
# though only the Linux packages are built and tested here.
set(FINETUNE_PACKAGE_MAINTAINER "Finetune Studio developers <maintainers@finetune-studio.org>"
    CACHE STRING "The Maintainer field of the Debian package")

set(CPACK_PACKAGE_NAME finetune-studio)
set(CPACK_PACKAGE_VENDOR "Finetune Studio")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "studio for fine-tuning pretrained models on your own data")
set(CPACK_PACKAGE_DESCRIPTION
    "Finetune Studio fine-tunes pretrained models such as BERT on your own data,\n"
    "natively and offline: import and label datasets, launch fine-tuning runs on\n"
    "the CPU or a CUDA GPU, watch live loss curves, evaluate with a classification\n"
    "report and confusion matrix, and export models that Hugging Face\n"
    "transformers, PEFT, LibTorch and ONNX Runtime load. The finetune command runs\n"
    "the same engine headless.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "${FINETUNE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "Finetune Studio")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_CURRENT_SOURCE_DIR}/debian/copyright)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build.*/" "/\\\\.git/")

# Debian
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FINETUNE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Without OpenBLAS, LibTorch falls back to the reference BLAS and trains ten times slower.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libopenblas0-pthread")
# Opened at run time, so dpkg-shlibdeps cannot see them: libsentencepiece (XLM-R's
# tokenizer, core/text/sentencepiece_library.h) and, as Qt plugins, SVG icons.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libsentencepiece0")
if(FINETUNE_BUILD_GUI)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libsentencepiece0, libqt6svg6")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# .tar.gz: bin/ and share/ under one top folder; the binaries find share/ from their own location.
set(CPACK_ARCHIVE_COMPONENT_INSTALL OFF)

# Windows (NSIS) and macOS (DragNDrop): written for those builds, not built here.
set(CPACK_NSIS_DISPLAY_NAME "Finetune Studio")
set(CPACK_NSIS_PACKAGE_NAME "Finetune Studio ${PROJECT_VERSION}")
set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\\\finetune-studio.exe")
set(CPACK_NSIS_MENU_LINKS "bin/finetune-studio.exe" "Finetune Studio")
set(CPACK_NSIS_MODIFY_PATH ON) # offers to put bin\\ (finetune.exe) on PATH
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
set(CPACK_DMG_VOLUME_NAME "Finetune Studio")
set(CPACK_DMG_FORMAT UDZO)

if(WIN32)
  set(CPACK_GENERATOR NSIS ZIP)
elseif(APPLE)
  set(CPACK_GENERATOR DragNDrop)
else()
  set(CPACK_GENERATOR DEB TGZ)
endif()
include(CPack)
