# `cpack -G DEB` (installer/make-deb.sh): checkpoint-studio_<version>_amd64.deb from the
# install rules, its dependencies found by dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME checkpoint-studio)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Checkpoint Studio developers <dev@checkpoint-studio.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "inspect and edit deep-learning checkpoints without running them")
# The synopsis is the summary above; this is the extended description (lines under 80).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Checkpoint Studio opens PyTorch, safetensors, sharded, distributed
 (DCP, DeepSpeed), JAX, Keras and GGUF checkpoints from their metadata
 alone and never runs code hidden in them. The window (ckpt-studio) and
 its command-line twin (ckpt) show the tree, the tensors and their
 statistics, a safety report, rules with a live preview, compare, diff
 and streamed export.")
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/checkpoint-studio/checkpoint-studio")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# The compute plugin and the helpers live in /usr/lib/ckpt-studio: dpkg-shlibdeps finds
# their libraries (LibTorch, libhdf5) there too.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS /usr/lib/ckpt-studio)
include(CPack)
