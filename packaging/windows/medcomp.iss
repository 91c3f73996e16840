; Inno Setup 6 script for the Windows installer. NOT built or tested here (no Windows in
; this project's CI): build it on Windows from the PyInstaller bundle of that machine:
;
;   py -3.11 -m venv .venv-package
;   .venv-package\Scripts\pip install -e .[package]
;   .venv-package\Scripts\pyinstaller --noconfirm --clean packaging\medcomp.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\medcomp.iss      (version: pyproject.toml)
;
; -> dist\medcomp-0.1.0-setup.exe. Installs dist\medcomp\ (medcomp-gui.exe, medcomp.exe,
; _internal\) under Program Files, a Start menu entry, optionally the CLI on PATH; opens
; .dcm and .mcz files with the viewer (.mcz: medcomp's own type; .dcm: offered in
; "Open with" without taking it from another DICOM viewer); uninstalls all of it.

#ifndef AppVersion
  #error Pass the version from pyproject.toml: iscc /DAppVersion=X.Y.Z medcomp.iss
#endif
#define AppName "medcomp"
#define Bundle "..\..\dist\medcomp"

[Setup]
AppId={{3C7B1F0E-6A52-4C4B-9E1D-5B0F3D6E8A21}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=medcomp developers
DefaultDirName={autopf}\medcomp
DefaultGroupName=medcomp
UninstallDisplayIcon={app}\medcomp-gui.exe
OutputDir=..\..\dist
OutputBaseFilename=medcomp-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\medcomp.ico
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
ChangesEnvironment=yes
PrivilegesRequiredOverridesAllowed=dialog
LicenseFile=..\licenses\GPL-3.0.txt
WizardStyle=modern

[Tasks]
Name: "clionpath"; Description: "Put the medcomp command on PATH"; Flags: unchecked
Name: "mcz"; Description: "Open .mcz files with medcomp"
Name: "dicom"; Description: "Offer medcomp for .dcm files (Open with)"

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\medcomp"; Filename: "{app}\medcomp-gui.exe"
Name: "{group}\Uninstall medcomp"; Filename: "{uninstallexe}"

[Registry]
; .mcz: medcomp's own file type (ProgID medcomp.mcz), with the magic-less extension
Root: HKA; Subkey: "Software\Classes\.mcz"; ValueType: string; ValueName: ""; ValueData: "medcomp.mcz"; Flags: uninsdeletevalue; Tasks: mcz
Root: HKA; Subkey: "Software\Classes\.mcz"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-medcomp"; Flags: uninsdeletevalue; Tasks: mcz
Root: HKA; Subkey: "Software\Classes\medcomp.mcz"; ValueType: string; ValueName: ""; ValueData: "medcomp compressed image"; Flags: uninsdeletekey; Tasks: mcz
Root: HKA; Subkey: "Software\Classes\medcomp.mcz\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\medcomp-gui.exe,0"; Tasks: mcz
Root: HKA; Subkey: "Software\Classes\medcomp.mcz\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\medcomp-gui.exe"" ""%1"""; Tasks: mcz
; .dcm: listed under "Open with", the user's default DICOM viewer stays the default
Root: HKA; Subkey: "Software\Classes\medcomp.dicom"; ValueType: string; ValueName: ""; ValueData: "DICOM image"; Flags: uninsdeletekey; Tasks: dicom
Root: HKA; Subkey: "Software\Classes\medcomp.dicom\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\medcomp-gui.exe,0"; Tasks: dicom
Root: HKA; Subkey: "Software\Classes\medcomp.dicom\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\medcomp-gui.exe"" ""%1"""; Tasks: dicom
Root: HKA; Subkey: "Software\Classes\.dcm\OpenWithProgids"; ValueType: string; ValueName: "medcomp.dicom"; ValueData: ""; Flags: uninsdeletevalue; Tasks: dicom
Root: HKA; Subkey: "Software\Classes\Applications\medcomp-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".dcm"; ValueData: ""; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\medcomp-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".mcz"; ValueData: ""

[Run]
Filename: "{app}\medcomp-gui.exe"; Description: "Start medcomp"; Flags: nowait postinstall skipifsilent

[Code]
{ The CLI on PATH (task clionpath): added at install, removed at uninstall. }
const EnvKey = 'Environment';

function PathRoot(): Integer;
begin
  if IsAdminInstallMode() then Result := HKEY_LOCAL_MACHINE else Result := HKEY_CURRENT_USER;
end;

function PathKey(): String;
begin
  if IsAdminInstallMode() then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := EnvKey;
end;

procedure CurStepChanged(CurStep: TSetupStep);
var Paths: String;
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('clionpath') then
  begin
    if not RegQueryStringValue(PathRoot(), PathKey(), 'Path', Paths) then Paths := '';
    if Pos(';' + Uppercase(ExpandConstant('{app}')) + ';', ';' + Uppercase(Paths) + ';') = 0 then
      RegWriteExpandStringValue(PathRoot(), PathKey(), 'Path', Paths + ';' + ExpandConstant('{app}'));
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var Paths: String; P: Integer;
begin
  if (CurUninstallStep = usPostUninstall) and RegQueryStringValue(PathRoot(), PathKey(), 'Path', Paths) then
  begin
    P := Pos(';' + Uppercase(ExpandConstant('{app}')), Uppercase(Paths));
    if P > 0 then
    begin
      Delete(Paths, P, Length(ExpandConstant('{app}')) + 1);
      RegWriteExpandStringValue(PathRoot(), PathKey(), 'Path', Paths);
    end;
  end;
end;
